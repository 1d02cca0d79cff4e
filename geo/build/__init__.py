"""The layer build: every shipped layer derived from the source datasets, validated, then written all at once.

``sources`` reads and checks the source datasets; ``facts`` reads the cited fact tables in ``data/``;
``boundaries`` builds the territories, the 1967 line, the Oslo areas, the planning zones and the basemap;
``sites`` the crossings, obstacles and Jerusalem arrangements; ``settlements`` the settlements; ``pipeline`` runs
them in order and writes the layers only when the whole build validates.
"""

from __future__ import annotations

from .pipeline import MATCH_REPORT, BuildResult, build_layers, write_layers

__all__ = ["MATCH_REPORT", "BuildResult", "build_layers", "write_layers"]
