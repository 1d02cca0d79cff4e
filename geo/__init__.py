"""landplan: geospatial mapping and phasing planner for the "A Land for All" proposal.

The public entry points are :func:`geo.layers.load` and :func:`geo.layers.load_all`
for the shipped layers, and the ``landplan`` command line.
"""

from __future__ import annotations

from importlib import metadata

from .errors import LandplanError

try:  # the version lives in one place, pyproject.toml, and reaches the code through the installed metadata
    __version__ = metadata.version("landplan")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["LandplanError", "__version__"]
