"""Randomization tests (Zhang et al., Understanding deep learning requires rethinking
generalization, ICLR 2017) on MNIST-1D: corrupted labels and inputs, steps-to-fit, regularizers."""
from __future__ import annotations

import dataclasses

import numpy as np

from genlab import claims
from genlab.config import check
from genlab.data.datasets import DataSpec
from genlab.experiments import fitting, tables
from genlab.experiments.base import Experiment
from genlab.report import conditions, figures
from genlab.sweep import Job
from genlab.train import TrainSpec

NAME = "randomization"
# Named architectures: (registered model, kwargs). Every one of them accepts `dropout`.
ARCHS = {"mlp1x512": ("mlp", {"width": 512, "depth": 0, "residual": False}),
         "mlp3x512": ("mlp", {"width": 512, "depth": 2, "residual": False}),
         "cnn": ("cnn", {}), "cnn_wide": ("cnn", {"channels": 64}), "resnet1d": ("resnet1d", {})}
CONDITIONS = ("true", "random_labels", "shuffled_pixels", "random_pixels", "gaussian")


@dataclasses.dataclass(frozen=True)
class Config:
    models: tuple[str, ...] = tuple(ARCHS)
    # p = 0 is the "true" run, p = 1 the "random_labels" run (the same labels as corrupt, p = 1).
    noise_levels: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)
    regularizers: bool = True
    seeds: int = 3
    n_train: int | None = 1000
    steps: int = 2000
    eval_every: int = 50  # the resolution of steps-to-fit
    lr: float = 4e-3  # Adam; fits true labels in ~300 steps, random ones in ~500 (1000 examples)
    batch_size: int = 100
    weight_decay: float = 5e-4
    augment_shift: int = 4
    dropout: float = 0.2


PRESETS = {
    # ~20 s: one small MLP, 2 seeds, 300 examples, the five conditions and p = 0.4; no regularizers.
    "smoke": Config(models=("mlp1x512",), noise_levels=(0.4,), regularizers=False, seeds=2,
                    n_train=300, steps=400),
    # `genlab run randomization --preset quick`: MLP 1x512 on 1000 examples, 3 seeds, 2000 Adam
    # steps, 54 runs; ~1 min on 2 idle cores. Expect 100% train acc in every condition, chance
    # test acc on random labels, random/true steps-to-fit ~1.5-2x, test acc 45% -> 10% with p.
    # 3 seeds (2 from 2026-11-30 to 2026-12-07): with 2 the 'at chance' and steps-ratio rows read
    # inconclusive (a t interval on 1 degree of freedom: 9.8% -> [2.8, 16.7]).
    "quick": Config(models=("mlp1x512",), seeds=3),
    # Every architecture on all 4000 examples, 10k steps: ~4-5 h on 2 CPU cores (estimated: a CNN
    # member-step costs 4-10 ms there, 15-40x the MLP's). Spot check (1 seed): MLPs fit random
    # labels (2.2x / 1.75x the true-label steps); the 5k-parameter reference CNN reaches only 68%.
    "paper": Config(n_train=None, steps=10_000, eval_every=100),
}


def validate(cfg: Config) -> None:
    check(set(cfg.models) <= set(ARCHS),
          f"models must be among {', '.join(ARCHS)}, got {', '.join(cfg.models)}")


def jobs(cfg: Config) -> list[Job]:
    spec = TrainSpec(steps=cfg.steps, batch_size=cfg.batch_size, eval_every=cfg.eval_every,
                     optimizer="adam", batching="reshuffle")
    return [j for arch in cfg.models for s in range(cfg.seeds)
            for j in _seed_jobs(cfg, spec, arch, s)]


def _seed_jobs(cfg: Config, spec: TrainSpec, arch: str, seed: int) -> list[Job]:
    model, kwargs = ARCHS[arch]

    def job(condition="true", p=0.0, wd=0.0, shift=0, dropout=0.0):
        data = DataSpec(n_train=cfg.n_train, condition=condition, label_noise=p, seed=seed,
                        augment_shift=shift)
        kw = {**kwargs, "dropout": dropout} if dropout else kwargs
        return Job(model=model, model_kwargs=kw, data=data, train=spec, lr=cfg.lr,
                   weight_decay=wd, seed=seed, tags={"arch": arch})

    out = [job(c) for c in CONDITIONS] + [job("corrupt", p) for p in cfg.noise_levels]
    if cfg.regularizers:
        regs = [(wd, sh, dr) for wd in (0.0, cfg.weight_decay) for sh in (0, cfg.augment_shift)
                for dr in (0.0, cfg.dropout) if wd or sh or dr]
        out += [job("true", 0.0, *r) for r in regs]
        # Does a regularizer stop the net fitting random labels? wd + dropout, then all three
        # (with shifts, every shifted copy of an example must carry its arbitrary label).
        out += [job("random_labels", 0.0, cfg.weight_decay, 0, cfg.dropout),
                job("random_labels", 0.0, *regs[-1])]
    return out


def _key(run) -> tuple:
    """(arch, noise level p or condition name, regularizers) of one run."""
    c, d = run["config"], run["config"]["data"]
    cond = d["condition"]
    p = d["label_noise"] if cond == "corrupt" else P_OF.get(cond, cond)
    regs = "+".join(n for n, on in (("aug", d["augment_shift"]), ("wd", c["weight_decay"]),
                                    ("dropout", c["model_kwargs"].get("dropout", 0.0))) if on)
    return c["tags"]["arch"], p, regs or "none"


P_OF = {"true": 0.0, "random_labels": 1.0}  # the label-noise level a condition's runs stand for


def _groups(store):
    g = tables.group_runs(tables.latest_runs(store, NAME), _key)
    return g, list(dict.fromkeys(k[0] for k in g))


def analyze(store) -> dict:
    g, archs = _groups(store)
    fit_cols = ["train acc %", "test acc %", "steps to 100% train acc", "steps to loss ≤ 0.01"]
    cond_rows = [[a, c] + fitting.fit_cells(g.get((a, P_OF.get(c, c), "none"), []))
                 for a in archs for c in CONDITIONS]
    levels = sorted({k[1] for k in g if isinstance(k[1], float)})
    noise_rows = [[a, p, fitting.stat(runs, "data/realized_noise", 1, 3), *fitting.fit_cells(runs),
                   fitting.ratio_cell(fitting.ratios(runs, g.get((a, 0.0, "none"), [])))]
                  for a in archs for p in levels for runs in [g.get((a, p, "none"), [])]]
    reg_rows = sorted(([a, "random" if p == 1.0 else "true", r] + fitting.fit_cells(runs)[:2]
                       for (a, p, r), runs in g.items() if p in (0.0, 1.0)),
                      key=lambda row: (archs.index(row[0]), row[1], row[2]))
    reg_cols = ["model", "labels", "regularizers", "train acc %", "test acc %"]
    return {"tables": {
        "Data conditions (clean test set; train acc on the corrupted training labels)":
            tables.table(["model", "condition", *fit_cols], cond_rows),
        "Label corruption p (relative time: steps to 100% train acc / same seed's true labels)":
            tables.table(["model", "p", "realized noise", *fit_cols, "relative time"], noise_rows),
        "Explicit regularizers (the paper's Table 1)": tables.table(reg_cols, reg_rows)},
        "headline": [h for a in archs for h in _headline(a, g)], "notes": NOTES,
        "protocol": conditions.protocol(tables.latest_runs(store, NAME), PROTOCOL), "captions": CAPTIONS}


# Zhang et al. 2017 trained on CIFAR-10 / ImageNet with SGD + momentum 0.9 (lr 0.1 or 0.01).
PROTOCOL = (("data", "CIFAR-10 (50000 train)", "MNIST-1D (frozen)"),
            ("training examples", 50000, "config:data.n_train"),
            ("optimizer", "momentum", "config:train.optimizer"),
            ("models", "Inception, AlexNet, MLP 1x512, MLP 3x512", "config:model"))
CAPTIONS = {
    "randomization_loss": "Training loss under each data condition (true labels, random labels, "
                          "shuffled / random / Gaussian inputs): Zhang et al. 2017, Fig. 1a.",
    "randomization_relative_time": "Steps to fit the training set relative to the same seed's "
                                   "true-label run, against label corruption p (Fig. 1b).",
    "randomization_test_error": "Test error against label corruption p (Fig. 1c).",
}


def _headline(a: str, g: dict) -> list[dict]:
    """The claims of Zhang et al. 2017 for one architecture, each tested on per-seed values."""
    rand, true = g.get((a, 1.0, "none"), []), g.get((a, 0.0, "none"), [])
    rand_acc = fitting.by_seed(rand, "train/acc")
    rows = []
    if rand:
        rows += [claims.row(f"{a}: random labels, train acc (%)",
                            fitting.claim_fits(rand_acc, "random labels"),
                            ours=fitting.stat(rand, "train/acc"), expected="100 (≥ 99)",
                            paper="fits perfectly (Zhang et al. 2017, Fig. 1a)"),
                 claims.row(f"{a}: random labels, test acc (%)",
                            fitting.claim_chance(rand_acc, fitting.by_seed(rand, "test/acc")),
                            ours=f"{fitting.stat(rand, 'test/acc')} (train "
                                 f"{fitting.stat(rand, 'train/acc')})",
                            paper="chance (Zhang et al. 2017)", expected="10 ± 3 (train ≥ 99)")]
    if rand and true:
        ratio = fitting.ratio_by_seed(rand, true)
        rows.append(claims.row(f"{a}: steps to fit, random / true labels",
                               fitting.claim_slower(ratio, rand_acc),
                               ours=fitting.ratio_cell(np.asarray(list(ratio.values()))),
                               paper="slower by a small constant factor (Zhang et al. 2017, Fig. 1b)",
                               expected="1–10× (own pilot: ~1.5–2× for the MLP)"))
    rows += fitting.noise_rows(a, g)
    variants = {r: g[(a, 0.0, r)] for r in ("aug", "wd", "dropout") if (a, 0.0, r) in g}
    if true and rand and variants:
        rows.append(fitting.regularizer_row(a, true, rand, variants))
    rows += fitting.still_fits_rows(a, g)
    return rows


NOTES = [
    ("Adam (constant lr, batch 100, reshuffled epochs), not the paper's SGD with momentum; no "
     "explicit regularizer unless the row says so. Steps to fit: the first evaluation (every "
     "eval_every steps) at which the whole training set is fitted; '–': not within the budget."),
    ("p = 0 is the true-label run, p = 1 the random-label run. A corrupted label is redrawn "
     "uniformly, so about 0.9·p of labels change; the realized fraction is recorded per run."),
    ("shuffled_pixels: one permutation shared by train and test (an MLP cannot tell: its curve "
     "matches true labels'); random_pixels: an independent permutation per training example; "
     "gaussian: i.i.d. normal inputs with the data's mean/std."),
    ("Random shifts suit MNIST-1D, whose generator itself shifts each template: expect them to add "
     "far more test accuracy than wd or dropout, and to make random labels much harder to fit."),
    ("Checks: 'fits' is a mean train accuracy ≥ 99%; 'at chance' a mean test accuracy in 10 ± 3% "
     "(3 binomial sd of one seed on 1000 test examples); 'a small factor' under 10×; each on a "
     "95% interval over seeds (claim, effect [interval] and n beside each verdict)."),
    ("Regularizers: weight decay (L2 added to the gradient), random circular shifts, dropout "
     "after the hidden layers (MLP) or before the readout (CNN, ResNet)."),
]


def plot(store, outdir):
    (g, archs), paths = _groups(store), []
    fig, axes = figures.new_figure(ncols=len(archs))
    for ax, a in zip(axes[0], archs):
        for c in CONDITIONS:
            runs = g.get((a, P_OF.get(c, c), "none"), [])
            steps, values = tables.curves(store, runs, "train/loss")
            style = "--" if c == "shuffled_pixels" else "-"  # it overlays "true" for an MLP
            figures.band(ax, steps, values, label=c, linestyle=style)
        ax.set(title=f"{a}: training loss", xlabel="step", ylabel="train loss", yscale="log")
        ax.legend(fontsize=8)
    paths.append(figures.save(fig, outdir, "randomization_loss"))
    for name, ylabel in (("relative_time", "steps to fit / steps with true labels"),
                         ("test_error", "test error (%)")):
        fig, axes = figures.new_figure()
        for a in archs:
            fitting.plot_vs_noise(axes[0][0], g, a, name, label=a)
        axes[0][0].set(xlabel="label corruption p", ylabel=ylabel)
        axes[0][0].legend(fontsize=8)
        paths.append(figures.save(fig, outdir, f"randomization_{name}"))
    return paths


EXPERIMENT = Experiment(name=NAME, title="Randomization tests: fitting random labels and inputs",
                        paper="Zhang et al., Understanding deep learning requires rethinking "
                              "generalization (ICLR 2017)",
                        presets=PRESETS, jobs=jobs, analyze=analyze, plot=plot, validate=validate,
                        summarize=fitting.summarize)
