"""Meta-learning experiments at smoke scale: the lr hypergradient is exact, both starts approach
one lr; the activation study runs end to end (meta-run, comparison, transfer) and validates."""
import numpy as np
import pytest

from genlab.config import ConfigError
from genlab.experiments.meta import activation, lr
from genlab.models import activations
from genlab.store import Store


def _headline(out, prefix):
    return next(h for h in out["headline"] if h["name"].startswith(prefix))


def test_meta_lr_smoke_both_starts_meet_and_the_hypergradient_is_exact(store_path, tmp_path):
    store = Store(store_path)
    exp = lr.EXPERIMENT
    cfg = exp.config("smoke")
    exp.execute(cfg, store, progress=False)
    metas = [r for r in store.runs(lr.NAME) if r["config"]["kind"] == "meta"]
    finals = {r["config"]["start"]: r["summary"]["final/lr"] for r in metas}
    assert set(finals) == {1.5, 0.15}
    assert abs(finals[1.5] - finals[0.15]) < 0.1 * (1.5 - 0.15)  # started 1.35 apart
    for start in finals:
        steps, values = store.metrics(next(r for r in metas if r["config"]["start"] == start)
                                      ["run_id"])["hyper/lr"]
        assert steps[0] == 0 and values[0] == pytest.approx(start)
    out = exp.analyze(store)
    assert _headline(out, "hypergradient vs finite difference")["check"] == "ok"
    check = next(r for r in store.runs(lr.NAME) if r["config"]["kind"] == "check")
    assert check["summary"]["check/max_rel_error"] < 1e-4
    schedule = next(r for r in store.runs(lr.NAME) if r["config"]["kind"] == "schedule")
    assert store.run_arrays(schedule["run_id"], "lr_steps")["value"].shape == (cfg.inner_steps,)
    assert exp.plot(store, tmp_path)[0].stat().st_size > 0
    before = len(store.runs(lr.NAME))
    exp.execute(cfg, store, progress=False)  # resumes: nothing new
    assert len(store.runs(lr.NAME)) == before


def test_meta_activation_smoke_end_to_end(store_path, tmp_path):
    store = Store(store_path)
    exp = activation.EXPERIMENT
    cfg = exp.config("smoke")
    exp.execute(cfg, store, progress=False)
    runs = store.runs(activation.NAME)
    meta = [r for r in runs if r["config"].get("kind") == "meta"]
    assert len(meta) == cfg.meta_seeds
    steps, losses = store.metrics(meta[0]["run_id"])["meta/loss"]
    assert steps == list(range(cfg.outer_steps)) and np.all(np.isfinite(losses))
    params = activation.learned_params(store, meta[0]["run_id"])
    assert params["w_in"].shape == (100,)
    compare = [r for r in runs if r["config"].get("kind") == "compare"]
    assert {r["config"]["activation"] for r in compare} == set(cfg.compare) | {"learned"}
    transfer = [r for r in runs if "model" in r["config"]]
    names = {r["config"]["model_kwargs"]["activation"] for r in transfer}
    learned_name = next(n for n in names if n.startswith("learned-"))
    assert learned_name in activations.names() and "relu" in names
    out = exp.analyze(store)
    assert any("Transfer" in title for title in out["tables"])
    assert exp.plot(store, tmp_path)[0].stat().st_size > 0


@pytest.mark.parametrize("experiment, override", [
    (lr.EXPERIMENT, "starts=-1.0"), (lr.EXPERIMENT, "landscape_lrs=3.0,0.5,10"),
    (activation.EXPERIMENT, "last_steps=999"), (activation.EXPERIMENT, "compare=relu,mish")])
def test_bad_configs_are_rejected_before_any_store(experiment, override):
    with pytest.raises(ConfigError):
        experiment.config("smoke", sets=[override])
