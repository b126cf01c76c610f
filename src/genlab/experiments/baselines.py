"""MNIST-1D baselines (Greydanus & Kobak, ICML 2024): logistic, MLP, CNN, GRU on original and
position-shuffled frozen data, with the reference hyperparameters (Adam 1e-2, batch 100 as
consecutive slices, 6000 steps)."""
from __future__ import annotations

import dataclasses

from genlab import claims
from genlab.config import check
from genlab.data.datasets import DataSpec
from genlab.experiments import tables
from genlab.experiments.base import Experiment
from genlab.experiments.protocol import Reference, protocol_table
from genlab.report import figures
from genlab.sweep import Job

NAME = "baselines"
SOURCE = "Greydanus & Kobak 2024, Table 1"
# Table 1: test accuracy (%) on the frozen set, mean ± SD over three runs: (original, shuffled).
PUBLISHED = {"linear": (32, 32), "mlp": (68, 68), "cnn": (94, 56), "gru": (91, 57)}
PUBLISHED_SD = {"linear": 1, "mlp": 2, "cnn": 2, "gru": 2}  # the same on both variants
# Bands for the mean final test accuracy (%) on original data (None: no upper bound): the targets
# of issue 2 (the project's first spec), set around Table 1: logistic 32 ± 1 SD -> 30–34, CNN
# 94 ± 2 -> ≥ 91, GRU 91 ± 2 -> ≥ 87 (within 2 published SDs); the MLP's 62–70 reaches 3 SDs
# below 68 because the spec expected ≈ 64–66 from today's generator. A band's lower end is also
# what "the model learned" means in the no-effect claims (here and in spatial_prior).
TARGETS = {"linear": (30, 34), "mlp": (62, 70), "cnn": (91, None), "gru": (87, None)}
LEARNED_FLOOR = TARGETS["linear"][0]  # a model without a band must reach the logistic's 30%
SHUFFLED_CNN_MAX = 62  # issue 2's target: Table 1's 56 + 3 published SDs
VARIANTS = ("original", "shuffled")


@dataclasses.dataclass(frozen=True)
class Config(Reference):
    models: tuple[str, ...] = ("linear", "mlp", "cnn", "gru")
    variants: tuple[str, ...] = VARIANTS
    eval_every: int = 250


PRESETS = {
    # ~20 s on 2 cores: the mechanics only (short training, 2 seeds).
    "smoke": Config(models=("linear", "mlp", "cnn"), seeds=2, steps=300, eval_every=100),
    # `genlab run baselines --preset quick`: the reference protocol, 2 seeds; ~1.5 min on 2 cores
    # (3 seeds before 2026-11-30). Two seeds give a wide t interval (t = 12.7): a band is decided
    # only where the seeds agree closely (logistic 31.3 ± 0.0, CNN 93.9 ± 0.1: ok); the MLP, GRU
    # and shuffled CNN read inconclusive (3–4 seeds would resolve them).
    "quick": Config(seeds=2),
    # the published protocol over 5 seeds.
    "paper": Config(seeds=5),
}


def validate(cfg: Config) -> None:
    """An unknown variant would silently train on original data (jobs() maps it to "none")."""
    check(set(cfg.variants) <= set(VARIANTS),
          f"variants must be among {', '.join(VARIANTS)}, got {', '.join(cfg.variants)}")


def jobs(cfg: Config) -> list[Job]:
    spec = cfg.train_spec()
    return [Job(model=m, data=DataSpec(positions="shuffle" if v == "shuffled" else "none"),
                train=spec, lr=cfg.lr, seed=s, tags={"variant": v})
            for m in cfg.models for v in cfg.variants for s in range(cfg.seeds)]


def per_seed(runs: list[dict], metric: str = "test/acc", scale: float = 100.0) -> dict:
    """{seed: test accuracy in %} (tables.per_seed: a diverged run is left out of the claims)."""
    return tables.per_seed(runs, metric, scale)


# ------------------------------------------------------------------------------ claims
def learned(acc: dict, model: str, what: str = "unshuffled") -> claims.Verdict:
    """The model learned: its mean test accuracy (%) is above its band's lower end (well above
    chance, 10%), so a no-effect claim about it is evidence rather than two nets at chance."""
    floor = TARGETS.get(model, (LEARNED_FLOOR,))[0]
    return claims.greater(acc, float(floor), units="%", claim=f"the {model} learned: {what} "
                          f"test accuracy above {floor}% (its band's lower end; chance is 10%)")


def claim_band(acc: dict, model: str) -> claims.Verdict:
    """Table 1's accuracy for `model`: the mean final test accuracy (%) on original data lies in
    its band (TARGETS)."""
    lo, hi = TARGETS[model]
    band = f"{lo}–{hi}%" if hi is not None else f"≥ {lo}%"
    pub = PUBLISHED[model][0]
    return claims.within(acc, lo, hi, units="%", claim=(
        f"the {model}'s mean final test accuracy on original MNIST-1D is {band} (issue 2's band "
        f"around {SOURCE}: {pub} ± {PUBLISHED_SD[model]})"))


def claim_shuffled_cnn(original: dict, shuffled: dict) -> claims.Verdict:
    """Table 1's shuffled CNN (56%): the CNN learned on original data, and on shuffled positions
    its mean test accuracy stays ≤ SHUFFLED_CNN_MAX."""
    low = claims.within(shuffled, None, SHUFFLED_CNN_MAX, units="%", claim=(
        f"the CNN's mean final test accuracy on shuffled positions is ≤ {SHUFFLED_CNN_MAX}% "
        f"({SOURCE}: 56 ± 2)"))
    return claims.all_of([low, learned(original, "cnn")], claim=(
        f"the CNN learned on original data (> {TARGETS['cnn'][0]}%) and tests ≤ "
        f"{SHUFFLED_CNN_MAX}% on shuffled positions"))


def _headline(model: str, variant: str, groups: dict) -> dict:
    runs = groups.get((model, variant), [])
    acc, verdict, expected = per_seed(runs), None, None
    if variant == "original" and model in TARGETS:
        verdict, expected = claim_band(acc, model), _band_text(model) + " (issue 2; 6000 steps)"
    elif variant == "shuffled" and model == "cnn" and ("cnn", "original") in groups:
        verdict = claim_shuffled_cnn(per_seed(groups[("cnn", "original")]), acc)
        expected = f"≤ {SHUFFLED_CNN_MAX}, with original ≥ {TARGETS['cnn'][0]} (issue 2)"
    pub = PUBLISHED.get(model)
    paper = f"{pub[variant == 'shuffled']} ± {PUBLISHED_SD[model]} ({SOURCE})" if pub else None
    return claims.row(f"{model} {variant} test acc (%)", verdict, expected=expected, paper=paper,
                      ours=tables.fmt_stat(tables.summary_stat(runs, "test/acc")), seeds=len(acc))


def _band_text(model: str) -> str:
    lo, hi = TARGETS[model]
    return f"{lo}–{hi}" if hi is not None else f"≥ {lo}"


# ------------------------------------------------------------------------------ analysis
def _by_model_variant(store):
    runs = tables.latest_runs(store, NAME)
    return tables.group_runs(runs, lambda r: (r["config"]["model"], r["config"]["tags"]["variant"]))


def analyze(store) -> dict:
    groups = _by_model_variant(store)
    rows, headline = [], []
    for model in dict.fromkeys(m for m, _ in groups):
        row, runs = [model], []
        for i, variant in enumerate(("original", "shuffled")):
            runs += groups.get((model, variant), [])
            stat = tables.summary_stat(groups.get((model, variant), []), "test/acc")
            pub = PUBLISHED.get(model, (None, None))[i]
            row += [tables.fmt_stat(stat), pub if pub is not None else "–"]
            if stat.n:
                headline.append(_headline(model, variant, groups))
        rows.append(row + [tables.status_counts(runs)])
    cols = ["model", "test acc % (ours)", "published", "shuffled: ours", "shuffled: published", "runs"]
    return {"tables": {"MNIST-1D baselines, final test accuracy (mean ± std over seeds)":
                       tables.table(cols, rows)}, "headline": headline,
            "protocol": protocol_table(tables.latest_runs(store, NAME)),
            "captions": {"baselines_test_acc": "Test accuracy over training for each model on "
                         "original and position-shuffled MNIST-1D (mean ± std over seeds): the "
                         "curves behind Table 1 of Greydanus & Kobak 2024."}}


def plot(store, outdir):
    groups = _by_model_variant(store)
    fig, axes = figures.new_figure(ncols=2)
    for i, variant in enumerate(("original", "shuffled")):
        ax = axes[0][i]
        shown = [r for (_, var), runs in groups.items() if var == variant for r in runs]
        for (model, var), runs in groups.items():
            if var == variant:
                steps, values = tables.curves(store, runs, "test/acc")
                figures.band(ax, steps, values * 100, label=model)
        figures.mark_diverged(ax, shown)
        ax.set(title=f"MNIST-1D, {variant} positions", xlabel="step", ylabel="test accuracy (%)")
        if ax.get_legend_handles_labels()[0]:  # every run diverged: no curve to name
            ax.legend(fontsize=8)
    return [figures.save(fig, outdir, "baselines_test_acc")]


EXPERIMENT = Experiment(name=NAME, title="MNIST-1D baselines",
                        paper="Greydanus & Kobak, Scaling down deep learning with MNIST-1D (ICML 2024)",
                        presets=PRESETS, jobs=jobs, analyze=analyze, plot=plot,
                        validate=validate)
