"""A run's numbers do not depend on which other members shared its compiled program (beyond
float32 round-off; docs/ENGINE.md states the measured bound), even next to a diverging member."""
import numpy as np

from genlab.data.datasets import DataSpec
from genlab.sweep import Job, local
from genlab.train import TrainSpec

SPEC = TrainSpec(steps=100, batch_size=50, eval_every=50, optimizer="adam", batching="reshuffle")


def job(seed, lr):
    return Job(model="mlp", data=DataSpec(n_train=500), train=SPEC, lr=lr, seed=seed)


def test_member_numbers_do_not_depend_on_the_group():
    alone = local.train_records("m", [job(0, 0.01)])[0]
    shared = local.train_records("m", [job(3, 0.003), job(0, 0.01), job(1, 1e12), job(2, 0.02)])
    assert shared[2].status == "diverged" and shared[1].status == "done"
    assert shared[1].run_id == alone.run_id
    for name, (steps, values) in alone.metrics.items():
        other = shared[1].metrics[name]
        assert other[0] == steps
        if name.endswith("/acc"):  # at most one example may flip on round-off
            np.testing.assert_allclose(other[1], values, atol=1.01 / 500)
        else:
            np.testing.assert_allclose(other[1], values, rtol=1e-4, atol=1e-6)
