"""Test-wide settings: strict rank promotion catches silent broadcasting bugs."""
import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "runs" / "genlab.sqlite"
