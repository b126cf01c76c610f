"""Test-wide settings: strict rank promotion catches silent broadcasting bugs."""
import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=1")

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture(autouse=True)
def _release_compiled_programs():
    """The suite compiles hundreds of programs in one process: free their memory maps before
    the kernel's limit (genlab.compilation.release_programs_if_needed)."""
    yield
    from genlab.compilation import release_programs_if_needed
    release_programs_if_needed()


@pytest.fixture
def store_path(tmp_path):
    return tmp_path / "runs" / "genlab.sqlite"
