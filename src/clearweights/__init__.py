"""clearweights: clear licences for open weights.

The public, stable API lives in the documented subpackages (``clearweights.licenses``);
modules whose names start with an underscore may change in any release.
Pin an exact version if you build on the library.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
