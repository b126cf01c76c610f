"""Meta-learning experiments at smoke scale: the lr hypergradient is exact, both starts approach
one lr; the activation study runs end to end (meta-run, comparison, transfer) and validates.
Every headline check is shown to fail where its claim is false, and with the meta-learning
removed (one outer step) no headline row says ok."""
import numpy as np
import pytest

from genlab.claims import INCONCLUSIVE, MISS, OK
from genlab.config import ConfigError
from genlab.experiments.meta import activation, lr, lr_checks
from genlab.experiments.meta import activation_checks as achecks
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
    assert out["protocol"]["rows"] and out["captions"].keys() == {"meta_lr"}
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
    assert out["protocol"]["rows"] and out["captions"].keys() == {"meta_activation"}
    row = _headline(out, "learned activation: test acc")
    assert row["claim"] and row["n"] == cfg.seeds
    rows = {r[0].split(" (")[0]: r for r in out["protocol"]["rows"]}
    assert rows["noise draw"][2:] == ["shared", "same"]
    assert rows["inner init, data order and noise across outer steps"][2:] == ["reused", "same"]
    assert rows["inner init at outer step 0"][3] == "DEVIATES"
    assert exp.plot(store, tmp_path)[0].stat().st_size > 0


def test_shared_noise_is_one_vector_per_batch_within_the_amplitude_and_new_each_step():
    """The notebook's forward_fn: h + .1*(2*rand(1, H) - 1), one draw for the whole batch."""
    import jax
    import jax.numpy as jnp

    from genlab.data.sources import FiniteSource
    from genlab.experiments.meta import activation_model as am
    x = jnp.arange(300 * 40, dtype=jnp.float32).reshape(300, 40)
    src = am.NoisySource(FiniteSource(x, jnp.zeros(300, jnp.int32), 100, "slices"), 228, 0.1)
    key = jax.random.key(3)
    _, (b0, _) = src.next(src.init(key), 0, key)
    _, (b1, _) = src.next(src.init(key), 1, key)
    assert b0.shape == (100, 40 + 228) and src.num_examples == 300
    np.testing.assert_array_equal(b0[:, :40], x[:100])
    noise = np.asarray(b0[:, 40:])
    assert np.all(noise == noise[0]) and np.abs(noise).max() <= 0.1 and noise.std() > 0.03
    assert not np.allclose(b1[0, 40:], b0[0, 40:])                      # a new offset each step
    np.testing.assert_array_equal(src.next(src.init(key), 0, key)[1][0], b0)  # same key: same draws


def test_shared_noise_mlp_is_the_noisy_mlp_plus_its_rows_offsets():
    """Same init as learned.NoisyMLP; the row's hidden noise is added after a, g's inside g."""
    import jax
    import jax.numpy as jnp

    from genlab.experiments.meta import activation_model as am
    from genlab.models import learned
    act = learned.LearnedActivation(key=jax.random.key(1))
    key, x = jax.random.key(2), jnp.linspace(-2.0, 2.0, 40)
    plain, shared = learned.NoisyMLP(act, key=key, width=16), am.SharedNoiseMLP(act, key=key, width=16)
    quiet = jnp.concatenate([x, jnp.zeros(16 + am.G_HIDDEN)])
    np.testing.assert_allclose(shared(quiet), plain(x), rtol=1e-6)      # no noise: the same net
    h_noise, g_noise = jnp.full(16, 0.05), jnp.full(am.G_HIDDEN, 0.1)
    noisy = shared(jnp.concatenate([x, h_noise, g_noise]))
    pre = plain.hidden(x)
    expected = plain.readout(act(pre) + act.scale * 0.1 * act.w_out.sum() + h_noise)
    np.testing.assert_allclose(noisy, expected, rtol=1e-5, atol=1e-6)
    fixed = am.SharedNoiseMLP(learned.FixedActivation("relu"), key=key, width=16)
    assert fixed(jnp.concatenate([x, h_noise])).shape == (10,)


def test_meta_activation_defaults_follow_the_notebooks_draws():
    cfg = activation.PRESETS["quick"]
    assert (cfg.noise_draw, cfg.inner_draws) == ("shared", "reused")
    assert activation.protocol(cfg)["noise_draw"] == "shared"
    old = activation.protocol(activation.Config(noise_draw="per_example", inner_draws="fresh"))
    assert "noise_draw" not in old and "inner_draws" not in old       # old runs keep their ids


@pytest.mark.parametrize("experiment, override", [
    (lr.EXPERIMENT, "starts=-1.0"), (lr.EXPERIMENT, "landscape_lrs=3.0,0.5,10"),
    (activation.EXPERIMENT, "last_steps=999"), (activation.EXPERIMENT, "compare=relu,mish"),
    (activation.EXPERIMENT, "noise_draw=batch"), (activation.EXPERIMENT, "inner_draws=new")])
def test_bad_configs_are_rejected_before_any_store(experiment, override):
    with pytest.raises(ConfigError):
        experiment.config("smoke", sets=[override])


# ---------------------------------------------------------------------------------- meta_lr checks
SEEDS_0_5_FROM_HIGH = {0: 0.590, 1: 0.595, 2: 0.676, 3: 0.656, 4: 0.716, 5: 0.637}  # issue 25
SEEDS_0_5_FROM_LOW = {0: 0.589, 1: 0.593, 2: 0.676, 3: 0.655, 4: 0.630, 5: 0.636}
STARTS = (1.5, 0.15)


@pytest.mark.parametrize("finals, verdict", [
    (SEEDS_0_5_FROM_HIGH, OK),                       # 0.6243 a plausible draw from 0.59-0.72
    ({0: 1.40, 1: 1.41, 2: 1.39}, MISS),              # one outer step from 1.5: far from it
    ({0: 0.50, 1: 0.51, 2: 0.505}, MISS),             # a tight distribution elsewhere
    ({0: 0.3, 1: 1.2}, INCONCLUSIVE),                 # the interval covers the starts too
    ({0: 0.62}, INCONCLUSIVE),                        # n = 1
])
def test_published_lr_is_tested_against_a_prediction_interval(finals, verdict):
    v = lr_checks.claim_published_in_distribution(finals, 0.6243, STARTS, start=1.5)
    assert v.verdict == verdict, v


def test_prediction_interval_is_the_textbook_one():
    mean, sd, (lo, hi) = lr_checks.prediction_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 * 1.0 * np.sqrt(1 + 1 / 3)
    assert (mean, sd) == (2.0, 1.0) and (lo, hi) == pytest.approx((2 - half, 2 + half))


@pytest.mark.parametrize("high, low, verdict", [
    ({0: 0.5903, 1: 0.595, 2: 0.6759}, {0: 0.5886, 1: 0.5926, 2: 0.6757}, OK),
    ({0: 1.40, 1: 1.41, 2: 1.42}, {0: 0.20, 1: 0.21, 2: 0.22}, MISS),   # never met
    (SEEDS_0_5_FROM_HIGH, SEEDS_0_5_FROM_LOW, INCONCLUSIVE),            # seed 4 apart by 0.086
])
def test_same_point_is_a_paired_equivalence_band(high, low, verdict):
    assert lr_checks.claim_same_point(high, low).verdict == verdict


def test_landscape_and_hypergradient_checks_are_exact():
    argmin = {0: 0.60, 1: 0.62}
    step = np.log(3.0 / 0.05) / 49
    met = {1.5: {0: 0.61, 1: 0.63}, 0.15: {0: 0.60, 1: 0.62}}
    stuck = {1.5: {0: 1.40, 1: 1.41}, 0.15: {0: 0.60, 1: 0.62}}
    assert lr_checks.claim_landscape(met, argmin, step).verdict == OK
    assert lr_checks.claim_landscape(stuck, argmin, step).verdict == MISS
    assert lr_checks.claim_hypergradient(3e-7, 3).verdict == OK
    assert lr_checks.claim_hypergradient(2e-2, 3).verdict == MISS
    assert lr_checks.claim_hypergradient(float("nan"), 3).verdict == MISS


# ------------------------------------------------------------------------- meta_activation checks
FIXED = ("relu", "elu")


@pytest.mark.parametrize("gains, verdict", [
    ({0: 14.0, 1: 12.5, 2: 15.1}, OK), ({0: -1.0, 1: -2.0, 2: -1.5}, MISS),
    ({0: 0.0, 1: 0.0}, INCONCLUSIVE),   # one outer step: the windows coincide
    ({0: 14.2}, INCONCLUSIVE),           # one meta-run (the notebook's own n)
])
def test_raises_test_accuracy(gains, verdict):
    assert achecks.claim_raises(gains).verdict == verdict


@pytest.mark.parametrize("learned, verdict", [
    ({0: 71.0, 1: 72.0, 2: 70.5}, OK),
    ({0: 60.0, 1: 61.0, 2: 59.0}, MISS),   # below relu in every seed
    ({0: 66.0, 1: 64.0, 2: 65.5}, INCONCLUSIVE),
])
def test_learned_beats_every_fixed_activation_on_test_accuracy(learned, verdict):
    acc = {"learned": learned, "relu": {0: 65.0, 1: 66.0, 2: 64.5}, "elu": {0: 64.0, 1: 65.5, 2: 64.0}}
    assert achecks.claim_beats_fixed(acc, FIXED).verdict == verdict


def test_fixed_activation_order_and_losses_against_the_printed_ones():
    printed = {a: {s: v + 0.01 * s for s in range(3)} for a, v in achecks.PUBLISHED_LOSS.items()}
    assert achecks.claim_fixed_order(printed).verdict == OK
    assert achecks.claim_fixed_losses(printed).verdict == OK
    swapped = {**printed, "relu": printed["sigmoid"], "sigmoid": printed["relu"]}
    assert achecks.claim_fixed_order(swapped).verdict == MISS
    assert achecks.claim_fixed_losses(swapped).verdict == MISS


@pytest.mark.parametrize("last20, verdict", [
    ({0: 67.0, 1: 67.6, 2: 66.9}, OK), ({0: 55.0, 1: 56.0, 2: 54.0}, MISS), ({0: 67.2}, INCONCLUSIVE)])
def test_end_accuracy_matches_the_notebook(last20, verdict):
    assert achecks.claim_end_accuracy(last20).verdict == verdict


def test_gain_windows_follow_the_notebook_and_never_overlap_the_run():
    assert achecks.windows(301) == (5, 20) and achecks.windows(12) == (3, 3)
    assert achecks.windows(1) == (1, 1)


# --------------------------------------------------------------- learning removed: no ok anywhere
def _not_ok(out, exempt=()):
    return [h for h in out["headline"] if h["check"] == OK and not h["name"].startswith(exempt)]


def test_meta_lr_with_one_outer_step_says_ok_nowhere(store_path):
    store = Store(store_path)
    exp = lr.EXPERIMENT
    exp.execute(exp.config("smoke", sets=["outer_steps=1", "seeds=3"]), store, progress=False)
    out = exp.analyze(store)
    # the hypergradient row checks the gradient at fixed lrs: no meta-learning enters it
    assert _not_ok(out, exempt=("hypergradient",)) == []
    assert {h["check"] for h in out["headline"] if h["name"].startswith("meta-learned lr")} == {MISS}


def test_meta_activation_with_one_outer_step_says_ok_nowhere(store_path):
    store = Store(store_path)
    exp = activation.EXPERIMENT
    cfg = exp.config("smoke", sets=["outer_steps=1", "meta_seeds=2", "transfer_steps=10"])
    exp.execute(cfg, store, progress=False)
    out = exp.analyze(store)
    assert _not_ok(out) == []
    assert _headline(out, "meta-training raises")["n"] == 2
