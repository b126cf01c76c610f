"""Deep double descent analysis and figure, read from the store alone: size curves, thresholds,
the test-loss peak, the MSE-vs-CE threshold study, and the published values for comparison."""
from __future__ import annotations

import math

import numpy as np

from genlab import claims
from genlab.experiments import series, tables
from genlab.experiments.double_descent import (
    CURVES,
    LABEL_NOISE,
    NAME,
    NOTEBOOK,
    NUM_CLASSES,
    PUBLISHED,
    PUBLISHED_CLEAN_LOSS,
    TOL,
    _kwargs,
    checks,
)
from genlab.report import conditions, figures

SOURCE = "Greydanus & Kobak 2024"
PUBLISHED_EPOCHS = 500


def curves(store) -> dict[tuple, series.Series]:
    """{(model, n_train, loss, label_noise): Series over sizes (width or channels)}."""
    def key(r):
        c, d = r["config"], r["config"]["data"]
        return c["model"], d["n_train"], c["train"]["loss"], float(d["label_noise"])
    return series.collect(tables.latest_runs(store, NAME), key, lambda r: next(
        v for k, v in r["config"]["model_kwargs"].items() if k in ("width", "channels")))


def errors(s: series.Series) -> tuple[np.ndarray, np.ndarray, int | None]:
    """(train error, test error, threshold index) of one size curve, means over seeds."""
    train_err, test_err = 1 - s.stat("train/acc")[0], 1 - s.stat("test/acc")[0]
    return train_err, test_err, series.first_at_most(train_err, TOL)


def _main_curves(cs: dict) -> list[tuple]:
    """The size sweeps: cross-entropy curves (of more than one size) at the n_train of a clean
    MLP or a CNN sweep; the loss study's noisy MLPs at other n_train are not among them."""
    ns = {k[1] for k, c in cs.items() if (k[0] == "cnn" or k[3] == 0) and len(c.x) > 1}
    return [k for k in sorted(cs, key=lambda k: (str(k[1]), k[0] == "cnn", k[3]))
            if k[1] in ns and k[2] == "xent" and (k[0], k[3]) in CURVES and len(cs[k].x) > 1]


def per_seed(s: series.Series, metric: str, error: bool = False) -> dict[int, list[float]]:
    """{seed: [metric at each size]} of one size curve (1 - metric with error=True); NaN where
    a seed's run at that size is missing or diverged."""
    out: dict[int, list[float]] = {}
    for i, runs in enumerate(s.runs):
        for r in runs:
            curve = out.setdefault(r["seed"], [math.nan] * len(s.x))
            value = r["summary"].get(metric) if tables.is_done(r) else None
            curve[i] = math.nan if value is None else (1 - value if error else value)
    return out


def _size_row(key, s: series.Series) -> tuple[list, dict]:
    name = f"{key[0]} {'noisy' if key[3] else 'clean'}, n_train={key[1] or 4000}"
    paper = PUBLISHED.get((key[0], key[3])) if key[1] is None else None
    _, test_err, thr = errors(s)
    (e_min, x_min), (e_peak, x_peak), (e_end, x_end) = \
        [(test_err[i] * 100, s.x[i]) for i in (*series.dip_then_peak(test_err, thr), -1)]
    at = "–" if thr is None else s.x[thr]
    row = [name, f"{e_min:.1f} @ {x_min}", f"{e_peak:.1f} @ {x_peak}", f"{e_end:.1f} @ {x_end}",
           at, s.x[int(np.argmax(s.stat("test/loss")[0]))],
           *([f"{e} @ {x}" for e, x in paper] if paper else ["–"] * 3)]
    if not key[3]:
        return row, _loss_peak_row(name, s, thr, published=key[1] is None)
    epochs = _epochs(s)
    v = checks.error_peak(per_seed(s, "test/acc", error=True), per_seed(s, "train/acc", error=True),
                          f"{name}, {epochs} epochs")
    return row, claims.row(
        f"{name}, {epochs} epochs: test-error peak above min / largest (pp), at size",
        v, ours=f"+{e_peak - e_min:.1f} / +{e_peak - e_end:.1f} at {x_peak} (threshold {at})",
        paper=_published_peak(key[0]) if key[1] is None else None,
        expected=f"a peak >= {checks.PEAK_MARGIN:g} pp above both sides, within {checks.NEAR} grid "
                 "size of the threshold (genlab tolerances)" + (
                     "" if epochs >= PUBLISHED_EPOCHS else f"; lower than published at {epochs} "
                     "epochs (less time to fit the noisy labels)"))


def _published_peak(model: str) -> str:
    (e_min, x_min), (e_peak, x_peak), (e_end, x_end) = PUBLISHED[(model, LABEL_NOISE)]
    return (f"{e_min} @ {x_min} -> {e_peak} @ {x_peak} -> {e_end} @ {x_end} % test error "
            f"({PUBLISHED_EPOCHS} epochs, one run; {NOTEBOOK})")


def _epochs(s: series.Series) -> int:
    train = s.runs[0][0]["config"]["train"]
    n_train = s.runs[0][0]["config"]["data"]["n_train"] or 4000
    return train["steps"] // (n_train // train["batch_size"])


def _loss_peak_row(name: str, s: series.Series, thr: int | None, published: bool) -> dict:
    """Clean MLPs: no test-error peak, but the test loss peaks at the interpolation threshold."""
    i_loss = int(np.argmax(s.stat("test/loss")[0]))
    v = checks.loss_peak(per_seed(s, "test/loss"), per_seed(s, "train/acc", error=True),
                         f"{name}, {_epochs(s)} epochs")
    return claims.row(f"{name}, {_epochs(s)} epochs: test-loss peak at size (threshold)", v,
                      ours=f"{s.x[i_loss]} ({'–' if thr is None else s.x[thr]})",
                      paper=f"test loss {PUBLISHED_CLEAN_LOSS[0]} @ {PUBLISHED_CLEAN_LOSS[1]}, the first "
                            f"width with train error 0.00 (one run; {NOTEBOOK})" if published else None,
                      expected=f"inside the grid, within {checks.NEAR} grid size of each seed's "
                               "threshold (genlab tolerance)")


def _thresholds(model: str, n: int | None, s: series.Series) -> dict[int, float]:
    """{seed: threshold params / (n_train K)} of one curve (NaN where a seed never interpolates)."""
    n = n or 4000
    return {seed: (math.nan if (i := checks.threshold(err)) is None else
                   series.param_count(model, **_kwargs(model, s.x[i])) / (n * NUM_CLASSES))
            for seed, err in per_seed(s, "train/acc", error=True).items()}


def _loss_rows(cs: dict) -> tuple[list[list], list[dict]]:
    """Threshold per (loss, n_train) of the noisy MLPs (mean curve), and a headline comparing
    the losses seed by seed."""
    rows, ratios = [], {"mse": {}, "xent": {}}
    for (model, n, loss, noise), s in sorted(cs.items(), key=lambda kv: (kv[0][1] or 4000, kv[0][2])):
        if model != "mlp" or not noise or loss not in ratios:
            continue
        ratios[loss].update({(n or 4000, seed): r for seed, r in _thresholds(model, n, s).items()})
        if (thr := errors(s)[2]) is not None:
            p, n = series.param_count(model, **_kwargs(model, s.x[thr])), n or 4000
            rows.append([loss, n, s.x[thr], p, n * NUM_CLASSES, round(p / n, 2),
                         round(p / (n * NUM_CLASSES), 2)])
    ns = {n for n, _ in ratios["mse"]} & {n for n, _ in ratios["xent"]}
    if not ns:
        return rows, []
    mse, xent = ({k: v for k, v in ratios[loss].items() if k[0] in ns} for loss in ("mse", "xent"))
    v = checks.loss_thresholds(mse, xent)
    shown = {loss: [r[-1] for r in rows if r[0] == loss and r[1] in ns] for loss in ("mse", "xent")}
    return rows, [claims.row("threshold params / (n_train K): MSE | CE, over n_train", v,
                             ours=f"{shown['mse']} | {shown['xent']} (mean curves)",
                             paper=f"MSE near 1, cross-entropy below it ({SOURCE}, in words)",
                             expected=f"MSE in [{checks.MSE_BAND[0]:g}, {checks.MSE_BAND[1]:g}] "
                                      "(genlab tolerance), CE below MSE")]


def analyze(store) -> dict:
    keys = _main_curves(cs := curves(store))
    rows = [_size_row(k, cs[k]) for k in keys]
    headline = [h for _, h in rows]  # noisy: the error peak; clean: the test-loss peak
    loss_rows, loss_headline = _loss_rows(cs)
    notes = list(dict.fromkeys(  # MLP and CNN sweeps share the noisy set: one note
        f"label noise p={LABEL_NOISE}, n_train={k[1] or 4000}: "
        f"{cs[k].stat('data/realized_noise')[0].mean():.1%} of training labels changed"
        for k in keys if k[3]))
    cols = ["curve", "min test err % @ size", "peak @", "largest @", "threshold", "test-loss peak @",
            "paper min", "paper peak", "paper largest"]
    lcols = ["loss", "n_train", "threshold width", "params P", "n_train*K", "P/n_train", "P/(n_train*K)"]
    title = f"Model-wise double descent (mean over seeds; threshold: train error <= {TOL:.1%})"
    return {"tables": {title: tables.table(cols, [r for r, _ in rows]),
                       "Interpolation threshold vs loss (noisy MLP)": tables.table(lcols, loss_rows)},
            "headline": headline + loss_headline, "notes": notes, "captions": CAPTIONS,
            "protocol": _protocol(tables.latest_runs(store, NAME))}


def _protocol(runs) -> dict:
    n_train = sorted({r["config"]["data"]["n_train"] or 4000 for r in runs})
    return conditions.protocol(runs, [
        ("training examples", 4000, conditions.describe(n_train)),
        ("optimizer", "momentum", "config:train.optimizer"), ("learning rate", 0.01, "config:lr"),
        ("batch size", 100, "config:train.batch_size"), ("batches", "reshuffle", "config:train.batching"),
        ("training steps (500 epochs of 40 batches)", 20000, "config:train.steps"),
        ("label noise p", "0, 0.15", "config:data.label_noise"),
        ("MLP widths", "2 … 300 (20 values)", "config:model_kwargs.width")])


CAPTIONS = {"double_descent": "Top: train and test error against model size (the model-wise "
                              "double descent of Nakkiran et al. 2019 as reproduced on MNIST-1D by "
                              f"{SOURCE}); dashed: the interpolation threshold. Bottom: test "
                              "cross-entropy, train error against parameters / (n_train K) per "
                              "loss, and epoch-wise test error of the noisy MLP."}


def plot(store, outdir):
    """Row 1: train/test error against size per curve (published panels). Row 2: test cross-
    entropy; train error against params / (n_train K) per loss; epoch-wise test error."""
    keys = _main_curves(cs := curves(store))
    fig, axes = figures.new_figure(ncols=3, nrows=2)
    for ax, key in zip(axes[0], keys):
        for split, color in (("train", "C3"), ("test", "C0")):
            series.errorbars(ax, cs[key], f"{split}/acc", error=True, color=color, label=split)
        if (thr := errors(cs[key])[2]) is not None:
            ax.axvline(cs[key].x[thr], color="k", ls="--", lw=0.8, label="threshold")
        ax.set(xlabel="width" if key[0] == "mlp" else "channels", ylabel="error (%)",
               title=f"{key[0]}, noise {key[3]:g}, n_train={key[1] or 4000}")
    for key in (k for k in keys if k[0] == "mlp"):
        series.errorbars(axes[1][0], cs[key], "test/loss", scale=1.0, label=f"noise {key[3]:g}")
    axes[1][0].set(xlabel="width", ylabel="test cross-entropy", title="MLP")
    for (model, n, loss, noise), s in cs.items():
        if model == "mlp" and noise:
            ratio = [series.param_count(model, **_kwargs(model, x)) / ((n or 4000) * NUM_CLASSES) for x in s.x]
            axes[1][1].plot(ratio, errors(s)[0] * 100, marker=".", ls="-" if loss == "mse" else ":",
                            label=f"{loss}, n_train={n or 4000}")
    axes[1][1].axvline(1.0, color="k", lw=0.8)
    axes[1][1].set(xlabel="parameters / (n_train K)", ylabel="train error (%)", title="noisy MLP")
    for key in (k for k in keys if k[0] == "mlp" and k[3]):  # smallest, peak, threshold, largest
        s, (_, test_err, thr) = cs[key], errors(cs[key])
        for i in sorted({0, series.dip_then_peak(test_err, thr)[1], thr or 0, len(s.x) - 1}):
            steps, values = tables.curves(store, s.runs[i], "test/acc")
            per_epoch = (key[1] or 4000) // s.runs[i][0]["config"]["train"]["batch_size"]
            figures.band(axes[1][2], steps[1:] / per_epoch, (1 - values[:, 1:]) * 100,
                         label=f"width {s.x[i]}" + (" (threshold)" if i == thr else ""))
    axes[1][2].set(xlabel="epoch", ylabel="test error (%)", title="epoch-wise, noisy MLP")
    for ax in axes[0][len(keys):]:
        figures.absent(ax, "no CNN sweep at this preset\n(--set channels=4,10,18,40)")
    for ax, key in zip(axes[0], keys):
        figures.log_ticks(ax, cs[key].x)
    if keys:
        figures.log_ticks(axes[1][0], cs[keys[0]].x)
    for ax in axes[1][1:]:
        ax.set_xscale("log") if ax.has_data() else figures.absent(ax, "no data at this preset")
    for ax in axes.flat:
        if ax.has_data():
            ax.legend()
    return [figures.save(fig, outdir, "double_descent")]


