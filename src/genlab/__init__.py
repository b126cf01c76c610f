"""genlab: a fast, honest laboratory for the science of generalization at fruit-fly scale."""
from genlab.config import ConfigError

__version__ = "0.1.0"
__all__ = ["ConfigError", "__version__"]
