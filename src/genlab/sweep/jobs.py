"""Job: one trained network as data; its hash is its address, its static part its compile group."""
from __future__ import annotations

import dataclasses

from genlab.config import canonical_json
from genlab.data.datasets import DataSpec
from genlab.identity import identity_fields, identity_hash
from genlab.train.loop import TrainSpec
from genlab.validation import check_job

# Fields that vary inside one compiled program (vmapped members), not between programs.
DYNAMIC = ("seed", "init_seed", "lr", "weight_decay", "tags")
DATA_DYNAMIC = ("condition", "label_noise", "positions", "seed")


@dataclasses.dataclass(frozen=True)
class Job:
    model: str
    data: DataSpec
    train: TrainSpec
    lr: float
    model_kwargs: dict = dataclasses.field(default_factory=dict)
    weight_decay: float = 0.0
    seed: int = 0
    init_seed: int | None = None
    tags: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        check_job(self)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["data"], d["train"] = self.data.to_dict(), dataclasses.asdict(self.train)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Job":
        """Inverse of to_dict (a stored run's config back to its Job)."""
        return cls(**{**d, "data": DataSpec(**d["data"]), "train": TrainSpec(**d["train"])})

    def run_id(self, experiment: str) -> str:
        """The run's address: a hash of its meaningful fields (genlab.identity)."""
        return identity_hash(experiment, identity_fields(self))

    def group_key(self) -> str:
        d = {k: v for k, v in self.to_dict().items() if k not in DYNAMIC}
        d["data"] = self.data.shape_key()  # N is a member axis (data/padded.py)
        size = padded_size_kwarg(self)
        if size is not None:  # the size is a member value: sweep/padded_models.py
            d["model_kwargs"] = {k: v for k, v in self.model_kwargs.items() if k != size}
        return canonical_json(d)

    @property
    def uses_dropout(self) -> bool:
        return float(self.model_kwargs.get("dropout", 0.0)) > 0.0


def padded_size_kwarg(job: Job) -> str | None:
    """The model kwarg that varies inside one padded program, or None (TrainSpec.pad_model off,
    a model without one, or dropout: its random masks depend on the padded shape)."""
    from genlab.models import PAD_KWARGS
    if not job.train.pad_model or job.uses_dropout:
        return None
    return PAD_KWARGS.get(job.model)


def validate_jobs(jobs: list[Job]) -> None:
    """Fail fast (ConfigError) on unknown models or bad model kwargs, before anything is written."""
    import equinox as eqx
    import jax

    from genlab import models
    seen = set()
    for job in jobs:
        key = (job.model, canonical_json(job.model_kwargs))
        if key not in seen:
            seen.add(key)
            eqx.filter_eval_shape(lambda k, j=job: models.make(j.model, key=k, **j.model_kwargs),
                                  jax.random.key(0))


def group_jobs(jobs: list[Job], max_members: int = 64) -> list[list[Job]]:
    """Jobs that share a compiled program, in first-seen order, split to at most max_members."""
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault(job.group_key(), []).append(job)
    out = []
    for members in groups.values():
        out.extend(members[i:i + max_members] for i in range(0, len(members), max_members))
    return out
