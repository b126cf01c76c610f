"""double_descent: threshold / peak detection, job grouping, and a tiny noisy width sweep."""
import dataclasses

from genlab.experiments import double_descent as dd
from genlab.experiments import series
from genlab.store import Store
from genlab.sweep import group_jobs, run_jobs


def test_threshold_is_first_size_with_zero_train_error():
    assert series.first_at_most([0.5, 0.2, 0.0, 0.01, 0.0], 0.0) == 2
    assert series.first_at_most([0.5, 0.004, 0.0], dd.TOL) == 1
    assert series.first_at_most([0.5, 0.2], 0.0) is None


def test_dip_then_peak_finds_the_first_minimum_then_the_peak():
    test_err = [0.60, 0.47, 0.50, 0.54, 0.49, 0.455]
    assert series.dip_then_peak(test_err, last=3) == (1, 3)  # minimum at or below the threshold
    # no threshold: the global minimum, and nothing rises after it
    assert series.dip_then_peak(test_err) == (5, 5)


def test_param_count_matches_the_plain_mlp_formula():
    for n in (2, 50, 300):  # 40*n + n + n*n + n + 10*n + 10
        assert series.param_count("mlp", **dd._kwargs("mlp", n)) == n * n + 52 * n + 10
    assert series.param_count("cnn", **dd._kwargs("cnn", 25)) == 5210  # the reference CNN


def test_one_program_per_width_with_seeds_and_noise_as_members():
    cfg = dataclasses.replace(dd.PRESETS["paper"], n_train=1000, widths=(4, 8), channels=(3,),
                              loss_n_train=(1000,), loss_widths=(8, 16))
    jobs = dd.jobs(cfg)
    groups = group_jobs(jobs)
    # 2 widths (clean + noisy members) + 1 CNN + MSE at 2 widths + CE at width 16 (CE at width
    # 8 and n_train 1000 is a size-sweep job, so it is not repeated)
    assert len(groups) == 2 + 1 + 2 + 1
    assert len(jobs) == len({j.run_id(dd.NAME) for j in jobs})
    assert max(len(g) for g in groups) == 2 * cfg.seeds


def test_noisy_width_sweep_interpolates_at_the_largest_width(store_path):
    cfg = dd.Config(seeds=1, epochs=600, eval_epochs=200, n_train=200, widths=(2, 128), channels=(),
                    loss_n_train=(), loss_widths=())
    store = Store(store_path)
    run_jobs(dd.NAME, dd.jobs(cfg), store, progress=False)  # one program per width

    curve = dd.curves(store)[("mlp", 200, "xent", dd.LABEL_NOISE)]
    train_err, _test_err, threshold = dd.errors(curve)
    assert curve.x == [2, 128]
    assert train_err[1] <= dd.TOL < train_err[0]
    assert threshold == 1
    run = next(r for r in store.runs(dd.NAME) if r["config"]["data"]["label_noise"] > 0)
    assert 0.05 < run["summary"]["data/realized_noise"] < 0.25  # p=0.15 replaces ~13.5%
    steps, _ = store.metrics(run["run_id"])["test/acc"]
    assert len(steps) == cfg.epochs // cfg.eval_epochs + 1  # the epoch-wise curve
    analysis = dd.analyze(store)
    size_table, loss_table = analysis["tables"].values()
    assert [row[4] for row in size_table["rows"]] == [128, 128]  # clean and noisy thresholds
    assert loss_table["rows"][0][:3] == ["xent", 200, 128]
