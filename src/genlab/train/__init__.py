"""The one engine: pure train steps, a scan-based loop, and vmapped ensembles of members."""
from genlab.train.loop import TrainSpec, train
from genlab.train.many import Members, train_many

__all__ = ["Members", "TrainSpec", "train", "train_many"]
