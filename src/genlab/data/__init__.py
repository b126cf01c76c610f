"""Datasets: MNIST-1D (frozen set, NumPy generator) and randomization-test corruptions."""
from genlab.data.corrupt import (
    CONDITIONS,
    apply_condition,
    corrupt_labels,
    fixed_permutation,
    gaussian_pixels,
    random_labels,
    random_pixels,
    shuffle_pixels,
)
from genlab.data.mnist1d import (
    FROZEN_MEAN,
    FROZEN_STD,
    MNIST1DArgs,
    generate,
    load_frozen,
    make_dataset,
    templates,
)

__all__ = [
    "CONDITIONS", "FROZEN_MEAN", "FROZEN_STD", "MNIST1DArgs", "apply_condition", "corrupt_labels",
    "fixed_permutation", "gaussian_pixels", "generate", "load_frozen", "make_dataset",
    "random_labels", "random_pixels", "shuffle_pixels", "templates",
]
