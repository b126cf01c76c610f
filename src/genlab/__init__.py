"""genlab: a fast, honest laboratory for the science of generalization at fruit-fly scale."""
from genlab.compilation import enable_cache, set_backend_opt_level, set_host_devices
from genlab.config import ConfigError

enable_cache()  # persistent XLA compilation cache, on by default (GENLAB_XLA_CACHE=0: off)
set_backend_opt_level()  # XLA:CPU LLVM -O1: half the compile time, same speed (GENLAB_XLA_OPT_LEVEL)
set_host_devices()  # opt-in (GENLAB_DEVICES=cores): one XLA CPU device per core, passes side by side

__version__ = "0.1.0"
__all__ = ["ConfigError", "__version__"]
