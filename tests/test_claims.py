"""The claims module: every kind of claim gives ok where it holds, MISS where it is false and
inconclusive where the seeds cannot tell; intervals are the textbook ones."""
import math

import numpy as np
import pytest
from scipy import stats

from genlab import claims
from genlab.claims import INCONCLUSIVE, MISS, OK, PAPER_SCALE


def test_paired_greater_uses_the_paired_t_interval():
    a = {0: 61.9, 1: 65.6, 2: 63.0}
    b = {0: 60.0, 1: 63.1, 2: 61.2}
    v = claims.greater(a, b, claim="A beats B")
    d = np.array([1.9, 2.5, 1.8])
    half = stats.t.ppf(0.975, 2) * d.std(ddof=1) / math.sqrt(3)
    assert v.verdict == OK and v.n == 3 and "paired" in v.method
    assert v.effect == pytest.approx(d.mean())
    assert v.interval == pytest.approx((d.mean() - half, d.mean() + half))


def test_greater_is_false_inconclusive_and_true():
    assert claims.greater({0: 1.0, 1: 1.1, 2: 0.9}, {0: 2.0, 1: 2.1, 2: 1.9}, claim="x").verdict == MISS
    # the lottery's two seeds: ticket 61.9 / 65.6 vs random 61.4 / 61.5 — a gap that two seeds cannot resolve
    v = claims.greater({0: 61.9, 1: 65.6}, {0: 61.4, 1: 61.5}, claim="ticket beats random")
    assert v.verdict == INCONCLUSIVE and "seeds would resolve" in v.note
    assert claims.greater([5.0, 5.1, 4.9, 5.2], [1.0, 1.2, 0.9], claim="x").verdict == OK


def test_unpaired_uses_welch():
    a, b = [5.0, 5.5, 6.0, 5.2], [4.0, 4.1]
    v = claims.greater(a, b, claim="x")
    res = stats.ttest_ind(a, b, equal_var=False)
    ci = res.confidence_interval(0.95)
    assert v.method == "Welch t over seeds"
    assert v.interval == pytest.approx((ci.low, ci.high))


def test_margin_and_constant_baseline():
    acc = {0: 0.95, 1: 0.96, 2: 0.94}
    assert claims.greater(acc, 0.1, claim="learned", margin=0.5).verdict == OK
    assert claims.greater({0: 0.1, 1: 0.11, 2: 0.09}, 0.1, claim="learned", margin=0.05).verdict == MISS
    assert claims.less(acc, 0.99, claim="below").verdict == OK
    assert claims.less(acc, 0.90, claim="below").verdict == MISS


def test_n1_is_inconclusive_unless_exact():
    v = claims.greater({0: 5.0}, {0: 1.0}, claim="x")
    assert v.verdict == INCONCLUSIVE and "n = 1" in v.note
    assert claims.exact(1e-9, 1e-9 < 1e-6, claim="exact", kind="error < 1e-6").verdict == OK
    assert claims.exact(1e-3, 1e-3 < 1e-6, claim="exact", kind="error < 1e-6").verdict == MISS


def test_within_band_and_matches():
    assert claims.within([70.1, 70.5, 69.8], 60, 80, claim="x").verdict == OK
    assert claims.within([90.1, 90.5, 89.8], 60, 80, claim="x").verdict == MISS
    assert claims.within([79.0, 82.0], 60, 80, claim="x").verdict == INCONCLUSIVE
    assert claims.within([50.0, 51.0, 52.0], None, 62, claim="x").verdict == OK
    m = claims.matches([0.59, 0.595, 0.676, 0.656, 0.716, 0.637], 0.624, 0.05, claim="x")
    assert m.verdict == INCONCLUSIVE
    assert claims.matches([0.62, 0.625, 0.63], 0.624, 0.05, claim="x").verdict == OK
    assert claims.matches([0.30, 0.31, 0.32], 0.624, 0.05, claim="x").verdict == MISS


def test_paper_scale_replaces_miss_only():
    v = claims.greater({0: 1.0, 1: 1.1, 2: 0.9}, {0: 2.0, 1: 2.1, 2: 1.9}, claim="x",
                       short_of_paper="400 of 1501 steps")
    assert v.verdict == PAPER_SCALE and v.check == "paper scale: 400 of 1501 steps"
    ok = claims.greater({0: 3.0, 1: 3.1, 2: 2.9}, {0: 2.0, 1: 2.1, 2: 1.9}, claim="x",
                        short_of_paper="400 of 1501 steps")
    assert ok.verdict == OK


def test_conjunction_and_ordering():
    learned = claims.greater({0: 0.9, 1: 0.92, 2: 0.91}, 0.1, claim="learned", margin=0.2)
    untrained = claims.greater({0: 0.1, 1: 0.11, 2: 0.1}, 0.1, claim="learned", margin=0.2)
    same = claims.within([0.1, -0.2, 0.05], -2, 2, claim="no loss to shuffling")
    assert claims.all_of([learned, same], claim="c").verdict == OK
    v = claims.all_of([untrained, same], claim="c")
    assert v.verdict == MISS and v.effect == untrained.effect and len(v.parts) == 2
    vals = {"mlp": {0: 3.0, 1: 3.2, 2: 3.1}, "cnn": {0: 2.0, 1: 2.1, 2: 1.9}, "lin": {0: 1, 1: 1.1, 2: 0.9}}
    assert claims.ordering(vals, ["mlp", "cnn", "lin"], claim="rank").verdict == OK
    assert claims.ordering(vals, ["cnn", "mlp", "lin"], claim="rank").verdict == MISS


def test_slope_per_seed_and_over_points():
    x = [1, 2, 4, 8]
    rising = {s: [1 + 0.5 * v + 0.01 * s for v in x] for s in range(3)}
    assert claims.slope(x, rising, claim="rises", sign=1).verdict == OK
    assert claims.slope(x, rising, claim="falls", sign=-1).verdict == MISS
    falls = claims.slope([256, 512, 1024, 2048], [0.1, 0.07, 0.05, 0.035], claim="power", sign=-1,
                         log=True, margin=0.0)
    assert falls.verdict == OK and falls.effect == pytest.approx(-0.5, abs=0.05)
    assert falls.interval[1] < 0


def test_bootstrap_is_reproducible_and_brackets_the_mean():
    x = [1.0, 2.0, 1.5, 1.8, 2.2, 1.1]
    a = claims.greater(x, None, claim="positive", method="bootstrap")
    b = claims.greater(x, None, claim="positive", method="bootstrap")
    assert a.interval == b.interval and a.interval[0] < np.mean(x) < a.interval[1]
    assert a.method == "bootstrap over seeds" and a.verdict == OK


def test_non_finite_values_are_left_out_and_said():
    v = claims.greater({0: 1.0, 1: float("nan"), 2: 1.2, 3: 1.1}, None, claim="x")
    assert v.n == 3 and "1 non-finite value left out" in v.note


def test_row_carries_the_test_and_count_sorts_rows():
    v = claims.greater({0: 2.0, 1: 2.1, 2: 1.9}, {0: 1.0, 1: 1.0, 2: 1.0}, claim="A > B", units="pts")
    r = claims.row("a vs b", v, ours="2.0", paper="1.5 (X 2020, Table 1)")
    assert r["check"] == OK and r["claim"] == "A > B" and r["n"] == 3 and len(r["interval"]) == 2
    assert r["stat"].startswith("+1.00 [") and r["stat"].endswith("pts, n = 3")
    blank = claims.row("info", None, ours="3")
    assert blank["check"] == ""
    bad = claims.greater({0: 1.0, 1: 1.1, 2: 0.9}, {0: 2.0, 1: 2.1, 2: 1.9}, claim="x")
    unsure = claims.greater({0: 61.9, 1: 65.6}, {0: 61.4, 1: 61.5}, claim="x")
    rows = [r, blank, claims.row("b", bad), claims.row("c", unsure),
            {"check": "paper scale: 400 steps"}]
    assert claims.count(rows) == {OK: 1, MISS: 1, INCONCLUSIVE: 1, PAPER_SCALE: 1, "no check": 1}


def test_conjunction_carries_how_many_seeds_would_resolve_a_part():
    unsure = claims.greater({0: 61.9, 1: 65.6}, {0: 61.4, 1: 61.5}, claim="ticket beats random")
    ok = claims.learned({0: 60.0, 1: 62.0, 2: 61.0}, 10.0, 10.0)
    v = claims.all_of([unsure, ok], claim="c")
    assert v.verdict == INCONCLUSIVE and "seeds would resolve it" in v.note
    assert ok.verdict == OK and claims.learned([10.0, 10.5, 9.5], 10.0, 10.0).verdict == MISS


def test_lead_part_supplies_the_numbers_and_unmet_is_inconclusive():
    main = claims.greater({0: 5.0, 1: 5.2, 2: 5.1}, {0: 1.0, 1: 1.1, 2: 1.0}, claim="main")
    guard = claims.learned({0: 10.0, 1: 10.5, 2: 9.5}, 10.0, 10.0)
    v = claims.all_of([main, guard], claim="c", lead=0)
    assert v.verdict == MISS and v.effect == main.effect and "the model learned: MISS" in v.note
    u = claims.unmet("gap at T_conv", "no seed reached T_conv")
    assert u.verdict == INCONCLUSIVE and u.note == "no seed reached T_conv"
    assert claims.all_of([main, u], claim="c").verdict == INCONCLUSIVE
