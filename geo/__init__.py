"""landplan: geospatial mapping and phasing planner for the "A Land for All" proposal.

The public entry points are :func:`geo.layers.load` and :func:`geo.layers.load_all`
for the shipped layers, and the ``landplan`` command line.
"""

from __future__ import annotations

from .errors import LandplanError

__version__ = "0.1.0"

__all__ = ["LandplanError", "__version__"]
