"""Batch normalization as an implicit regularizer (Zhang et al. 2017, §3.1, Fig. 2b, Table 1): the
same nets with and without batch norm, trained the same way (SGD with momentum, as the paper) on
true and random labels: test accuracy, how much the test curve falls back between evaluations,
and how fast random labels are fit."""
from __future__ import annotations

import numpy as np

from genlab import claims
from genlab.experiments import fitting, tables
from genlab.experiments.implicit_reg import stopping
from genlab.report import figures

CITE = "Zhang et al. 2017"
NORMS = ("none", "batch")


def is_bn_part(run: dict) -> bool:
    return "norm" in run["config"]["tags"]


def _key(run: dict) -> tuple:
    tags = run["config"]["tags"]
    return tags["arch"], tags["norm"], stopping.labels(run)


def groups(store, name: str) -> dict:
    """{(arch, norm, labels): {seed: curve_stats}} of the batch-norm part's done runs."""
    return stopping.stats_by(store, name, _key, keep=is_bn_part)


def _vals(stats: dict, key: str) -> dict:
    return {s: v[key] for s, v in stats.items()}


def _censored(stats: dict) -> dict:
    """Steps to fit per seed, a run that never fit counted at its budget (a lower bound)."""
    return {s: v["fit_step"] if np.isfinite(v["fit_step"]) else v["budget"] for s, v in stats.items()}


def _learned(test: dict) -> claims.Verdict:
    return claims.greater(test, stopping.LEARNED_MIN, units="%",
                          claim=f"the batch-norm net learned: test acc > {stopping.LEARNED_MIN:g}%")


def claim_gain(bn: dict, plain: dict) -> claims.Verdict:
    """Per seed (same init): final test accuracy with batch norm above without (paired t), and
    the batch-norm net learned (a gain between two nets that never learned is no evidence)."""
    return claims.all_of([claims.greater(bn, plain, units="pp", claim="higher test acc with "
                                         "batch norm, paired"), _learned(bn)],
                         claim="batch norm raises test accuracy")


def claim_plain_generalizes(train: dict, test: dict) -> claims.Verdict:
    return claims.all_of([claims.greater(test, stopping.LEARNED_MIN, units="%", claim=f"test acc "
                                         f"> {stopping.LEARNED_MIN:g}%"),
                          fitting.claim_fits(train, "true labels")],
                         claim="without batch norm the net still fits and generalizes")


def claim_stabler(bn: dict, plain: dict, bn_test: dict) -> claims.Verdict:
    """Per seed: the test accuracy's mean drop between consecutive evaluations (after the first
    quarter of training) is smaller with batch norm than without (paired t); and the batch-norm
    net learned (a net that never moves has a perfectly steady curve)."""
    return claims.all_of([claims.less(bn, plain, units="pp", digits=3, claim="smaller mean "
                                      "drop of test acc with batch norm, paired"),
                          _learned(bn_test)], claim="batch norm steadies the test curve")


def claim_random_faster(bn_steps: dict, plain_steps: dict, bn_train: dict) -> claims.Verdict:
    """Random labels, per seed: steps to fit without minus with batch norm > 0, a run that never
    fit counted at its budget (which understates its steps: conservative for this claim); and
    the batch-norm net does fit them."""
    return claims.all_of([claims.greater(plain_steps, bn_steps, units="steps", digits=0,
                                         claim="fewer steps with batch norm, paired"),
                          fitting.claim_fits(bn_train, "random labels with batch norm")],
                         claim="batch norm fits random labels, and faster")


def headline(g: dict, arch: str) -> list[dict]:
    bn, plain = g.get((arch, "batch", "true"), {}), g.get((arch, "none", "true"), {})
    rbn, rplain = g.get((arch, "batch", "random"), {}), g.get((arch, "none", "random"), {})
    rows = []
    if bn and plain:
        rows.append(claims.row(
            f"{arch}: test acc with minus without batch norm (pp)",
            claim_gain(_vals(bn, "final"), _vals(plain, "final")),
            ours=f"{_cell(bn, 'final')} vs {_cell(plain, 'final')}", expected="> 0",
            paper=f"+3.75 (Inception 85.75 vs 82.00 without BN, CIFAR-10, no augmentation or "
                  f"weight decay; {CITE}, Table 1); 'only 3∼4%' (§3.1)"))
        rows.append(claims.row(
            f"{arch}: test-acc drops with / without batch norm (pp per evaluation)",
            claim_stabler(_vals(bn, "drops"), _vals(plain, "drops"), _vals(bn, "final")),
            ours=f"{_cell(bn, 'drops', 2)} / {_cell(plain, 'drops', 2)}", expected="smaller with",
            paper=f"batch norm stabilizes the learning dynamics (no number; {CITE}, §3.1, Fig. 2b)"))
    if plain:
        rows.append(claims.row(
            f"{arch}: without batch norm, train / test acc (%)",
            claim_plain_generalizes(_vals(plain, "train_final"), _vals(plain, "final")),
            ours=f"{_cell(plain, 'train_final')} / {_cell(plain, 'final')}",
            expected=f"≥ 99 / > {stopping.LEARNED_MIN:g}",
            paper=f"100.0 / 82.00 (Inception w/o BatchNorm, CIFAR-10; {CITE}, Table 1)"))
    if rbn and rplain:
        rows.append(claims.row(
            f"{arch}: steps to fit random labels, without minus with batch norm",
            claim_random_faster(_censored(rbn), _censored(rplain), _vals(rbn, "train_final")),
            ours=f"{_steps(rplain)} vs {_steps(rbn)}", expected="> 0",
            paper=f"both fit random labels: train 100.0 (test 9.78 with, 10.12 without BN; "
                  f"{CITE}, Table 1); speed not reported"))
    return rows


def _cell(stats: dict, key: str, digits: int = 1) -> str:
    m = tables.mean_std(_vals(stats, key).values())
    return "–" if not m.n else f"{m.mean:.{digits}f} ± {m.std:.{digits}f}"


def _steps(stats: dict) -> str:
    """'420 ± 30' over the seeds that fit, '(k of n fit)' when some did not."""
    values = list(_vals(stats, "fit_step").values())
    m = tables.mean_std(values)
    cell = tables.fmt(m.mean, m.std, 1.0, 0)
    return cell if m.n == len(values) else f"{cell} ({m.n} of {len(values)} fit)"


COLUMNS = ["arch", "batch norm", "labels", "train acc %", "final test acc %", "steps to fit",
           "test-acc drops (pp per eval)", "runs"]


def analyze(store, name: str) -> dict:
    g = groups(store, name)
    archs = list(dict.fromkeys(a for a, _, _ in g))
    rows = [[a, n, lab, _cell(s, "train_final"), _cell(s, "final"), _steps(s), _cell(s, "drops", 2),
             len(s)] for (a, n, lab), s in sorted(g.items(), key=lambda kv: (archs.index(kv[0][0]),
                                                                               kv[0][2], kv[0][1]))]
    return {"tables": {"Batch norm: the same nets with and without it (mean ± std over seeds)":
                       tables.table(COLUMNS, rows)},
            "headline": [r for a in archs for r in headline(g, a)], "notes": NOTES,
            "captions": {"implicit_reg_batchnorm": CAPTION}}


PROTOCOL = (("batch norm: training examples (true, random labels)", 50000, "config:data.n_train"),
            ("batch norm: optimizer", "momentum", "config:train.optimizer"),
            ("batch norm: learning rate", "0.1, decayed 0.95 per epoch (Inception)", "config:lr"),
            ("batch norm: models", "Inception with / w/o BatchNorm", "config:model"))
CAPTION = ("Top: test accuracy of each net with and without batch norm on true labels; bottom: "
           "train accuracy on random labels (mean ± std over seeds): the MNIST-1D analogue of "
           "Zhang et al. 2017, Fig. 2b (Inception with and without batch norm on CIFAR-10) and "
           "of Table 1's random-label rows.")
NOTES = [
    ("Batch norm: after every hidden layer, before its activation (that layer's bias dropped); "
     "training normalizes with the minibatch's statistics, evaluation with running ones "
     "(momentum 0.1). Both variants share the seed, the init of every shared weight and the "
     "minibatches, and train with SGD + momentum 0.9 as Zhang et al. (constant lr). Drops: the "
     "mean fall of the test accuracy between consecutive evaluations (a rise counts 0) after "
     "the first quarter of training. Random labels are fit on the first bn_random_n training "
     "examples (the protocol table's smaller size): fitting them is a matter of capacity "
     "against n. Steps to fit: first evaluation at 100% train accuracy; a run that "
     "never fits counts at its budget in the paired difference (so the difference is a lower "
     "bound when the plain net never fits)."),
]


def plot(store, name: str, outdir) -> list:
    runs = [r for r in stopping._trained(store, name) if is_bn_part(r)]
    g = tables.group_runs(runs, _key)
    archs = list(dict.fromkeys(a for a, _, _ in g)) or ["(none)"]
    fig, axes = figures.new_figure(ncols=len(archs), nrows=2)
    for j, arch in enumerate(archs):
        for i, (labels, metric) in enumerate((("true", "test/acc"), ("random", "train/acc"))):
            ax = axes[i][j]
            for norm in NORMS:
                steps, values = tables.curves(store, g.get((arch, norm, labels), []), metric)
                figures.band(ax, steps, 100 * values, label=f"batch norm: {norm}")
            figures.mark_diverged(ax, [r for k, v in g.items() if k[0] == arch and k[2] == labels
                                       for r in v])
            ax.set(title=f"{arch}, {labels} labels", xlabel="step",
                   ylabel=f"{metric.split('/')[0]} accuracy (%)")
            ax.legend(fontsize=8)
    return [figures.save(fig, outdir, "implicit_reg_batchnorm")]
