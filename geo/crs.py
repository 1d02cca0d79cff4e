"""Coordinate reference systems used by landplan.

Data is stored and exchanged in EPSG:4326 (longitude, latitude).  Distances are
measured in EPSG:2039 (Israeli Transverse Mercator) and areas in a Lambert
azimuthal equal-area projection centred on the region.  Nothing is ever measured
in degrees, and a missing CRS is never guessed.
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS, Transformer

from .errors import CRSError

__all__ = [
    "AREA_CRS",
    "METRIC_CRS",
    "STORE_CRS",
    "area_km2",
    "is_store_crs",
    "require_crs",
    "to_equal_area",
    "to_metric",
    "transformer",
]

STORE_CRS = CRS.from_epsg(4326)
METRIC_CRS = CRS.from_epsg(2039)
#: Lambert azimuthal equal-area centred on the West Bank / Gaza region.
AREA_CRS = CRS.from_proj4("+proj=laea +lat_0=31.75 +lon_0=35.0 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs")


def is_store_crs(crs: object, ignore_axis_order: bool = False) -> bool:
    """Whether ``crs`` (anything pyproj reads, or None) is the storage CRS, EPSG:4326.

    The one place that answers "is this EPSG:4326": layers, sources and writers all ask here, so they agree.
    ``ignore_axis_order`` also accepts OGC:CRS84 (the same datum in lon/lat order, as GeoJSON files name it).
    """
    if crs is None:
        return False
    return bool(CRS.from_user_input(crs).equals(STORE_CRS, ignore_axis_order=ignore_axis_order))


def require_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> CRS:
    """Return the CRS of ``gdf`` or raise if it has none.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        The data to inspect.
    what : str
        A name for the data, used in the error message.

    Returns
    -------
    pyproj.CRS
        The data's CRS.

    Raises
    ------
    CRSError
        If the data has no CRS.
    """
    if gdf.crs is None:
        raise CRSError(
            f"{what} has no coordinate reference system; landplan never guesses one. "
            "Set it explicitly (e.g. gdf.set_crs('EPSG:4326')) or add a .prj / CRS member to the file."
        )
    return CRS.from_user_input(gdf.crs)


def _project(gdf: gpd.GeoDataFrame, crs: CRS, what: str) -> gpd.GeoDataFrame:
    require_crs(gdf, what)
    return gdf.to_crs(crs)


def to_metric(gdf: gpd.GeoDataFrame, what: str = "data") -> gpd.GeoDataFrame:
    """Project ``gdf`` to EPSG:2039 for distance work.

    Parameters
    ----------
    gdf : GeoDataFrame
        Data with a CRS set.
    what : str, optional
        A name for the data, used in error messages.

    Returns
    -------
    GeoDataFrame
        A copy in EPSG:2039.
    """
    return _project(gdf, METRIC_CRS, what)


def to_equal_area(gdf: gpd.GeoDataFrame, what: str = "data") -> gpd.GeoDataFrame:
    """Project ``gdf`` to the regional equal-area CRS for area work.

    Parameters
    ----------
    gdf : GeoDataFrame
        Data with a CRS set.
    what : str, optional
        A name for the data, used in error messages.

    Returns
    -------
    GeoDataFrame
        A copy in :data:`AREA_CRS`.
    """
    return _project(gdf, AREA_CRS, what)


def area_km2(gdf: gpd.GeoDataFrame | gpd.GeoSeries, what: str = "data") -> gpd.pd.Series:
    """Area of each geometry in km², measured in the equal-area CRS.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        Polygonal data with a CRS set.
    what : str, optional
        A name for the data, used in error messages.

    Returns
    -------
    pandas.Series
        Areas in square kilometres, indexed like ``gdf``.

    Raises
    ------
    CRSError
        If the data has no CRS.
    """
    require_crs(gdf, what)
    return gdf.to_crs(AREA_CRS).area / 1e6


def transformer(src: CRS, dst: CRS) -> Transformer:
    """A pyproj transformer with ``always_xy=True`` (lon/lat, easting/northing order)."""
    return Transformer.from_crs(src, dst, always_xy=True)
