"""genlab: a fast, honest laboratory for the science of generalization at fruit-fly scale."""
from genlab.compilation import enable_cache
from genlab.config import ConfigError

enable_cache()  # persistent XLA compilation cache, on by default (GENLAB_XLA_CACHE=0: off)

__version__ = "0.1.0"
__all__ = ["ConfigError", "__version__"]
