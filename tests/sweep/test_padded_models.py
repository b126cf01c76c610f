"""Sizes as a member axis (TrainSpec.pad_model): one program for an MLP width sweep, the same
numbers as one program per width, and the padding stays exactly zero."""
import dataclasses

import jax
import numpy as np
import pytest

from genlab.data.datasets import DataSpec
from genlab.sweep import Job
from genlab.sweep.jobs import group_jobs
from genlab.sweep.local import train_networks
from genlab.train import TrainSpec


def _jobs(pad: bool, model="mlp", sizes=(3, 7, 12), **train):
    spec = TrainSpec(steps=60, eval_every=20, batch_size=50, optimizer="adam", pad_model=pad,
                     **train)
    kw = (lambda s: {"width": s, "depth": 1}) if model == "mlp" else (lambda s: {"channels": s})
    return [Job(model=model, model_kwargs=kw(s), lr=1e-2, seed=seed, train=spec,
                data=DataSpec(n_train=300, n_test=200))
            for s in sizes for seed in (0, 1)]


@pytest.mark.parametrize("model", ["mlp", "cnn"])
def test_padded_sizes_equal_one_program_per_size(model):
    padded, plain = _jobs(True, model), _jobs(False, model)
    assert len(group_jobs(padded)) == 1 and len(group_jobs(plain)) == 3
    # run ids do not depend on the performance switch
    assert [j.run_id("x") for j in padded] == [j.run_id("x") for j in plain]
    nets, hist, _, _ = train_networks(padded)
    for size_jobs in group_jobs(plain):
        _, alone, _, _ = train_networks(size_jobs)
        for m, job in enumerate(size_jobs):
            i = plain.index(job)
            for k in ("train/loss", "test/loss", "test/acc"):
                np.testing.assert_allclose(hist[k][i], alone[k][m], rtol=2e-5, atol=2e-6)
    # the smallest members' padding is still exactly zero after training
    first = nets.stem if model == "mlp" else nets.convs[0]
    size = 3
    assert np.all(np.asarray(first.weight[0][size:]) == 0)


def test_no_padding_with_dropout_or_unknown_models():
    drop = [dataclasses.replace(j, model_kwargs={**j.model_kwargs, "dropout": 0.1}) for j in _jobs(True)]
    assert len(group_jobs(drop)) == 3  # dropout draws depend on the padded shape
    gru = [Job(model="gru", model_kwargs={"hidden": h}, lr=1e-2, train=TrainSpec(pad_model=True),
               data=DataSpec()) for h in (4, 6)]
    assert len(group_jobs(gru)) == 2
    assert jax is not None
