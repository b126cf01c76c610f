"""Optional Ray executor: a compile group is the unit of remote work; the driver alone writes
the store, so a sweep across a cluster keeps the local executor's atomicity and resume."""
from __future__ import annotations

import os
from typing import Callable, Iterator

from genlab.config import ConfigError


def map_groups_ray(experiment: str, groups: list, summarize: Callable | None,
                   train_group: Callable) -> Iterator[list]:
    """Yield each group's records as soon as its remote task finishes (any order).

    Connects to RAY_ADDRESS if set, else starts a local Ray. Each task asks for one CPU (or a GPU
    where the cluster has them: set GENLAB_RAY_GPUS=1).
    """
    try:
        import ray
    except ImportError:
        raise ConfigError("the ray executor needs Ray: pip install -e '.[ray]'") from None
    ray.init(address=os.environ.get("RAY_ADDRESS"), ignore_reinit_error=True, log_to_driver=False)
    gpus = float(os.environ.get("GENLAB_RAY_GPUS", "0"))
    remote = ray.remote(num_cpus=1, num_gpus=gpus)(train_group)
    pending = [remote.remote(experiment, g, summarize) for g in groups]
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        yield ray.get(done[0])
