"""WGS-84 ⇄ GCJ-02 (国测局坐标, the "Mars" datum of Chinese web maps).

Fengqiao stores every coordinate in WGS-84 (the GPS datum; 天地图's CGCS2000 differs from it by
centimetres). Maps of 高德 / 腾讯 serve GCJ-02 tiles and files digitised on them carry GCJ-02
coordinates, shifted 100–700 m from WGS-84. The forward transform is the widely published one
(e.g. the ``eviltransform`` libraries: Krasovsky ellipsoid a = 6378245, e² = 0.00669342162296594323,
the polynomial+sine offset centred on 105°E 35°N, no shift outside mainland China's bounding box).
There is no closed-form inverse; :func:`gcj02_to_wgs84` inverts it by fixed-point iteration to
better than 1e-7° (~1 cm).
"""

from __future__ import annotations

import math

A = 6378245.0
EE = 0.00669342162296594323


def out_of_china(lon: float, lat: float) -> bool:
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _t_lat(x: float, y: float) -> float:
    r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    r += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return r


def _t_lon(x: float, y: float) -> float:
    r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    r += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    r += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    r += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return r


def _delta(lon: float, lat: float) -> tuple[float, float]:
    d_lat = _t_lat(lon - 105.0, lat - 35.0)
    d_lon = _t_lon(lon - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((A * (1 - EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) in WGS-84 → (lon, lat) in GCJ-02."""
    if out_of_china(lon, lat):
        return lon, lat
    d_lon, d_lat = _delta(lon, lat)
    return lon + d_lon, lat + d_lat


def gcj02_to_wgs84(lon: float, lat: float, tolerance: float = 1e-9) -> tuple[float, float]:
    """(lon, lat) in GCJ-02 → (lon, lat) in WGS-84, by iteration (converges in 3–5 steps)."""
    if out_of_china(lon, lat):
        return lon, lat
    w_lon, w_lat = lon, lat
    for _ in range(30):
        g_lon, g_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = lon - g_lon, lat - g_lat
        w_lon, w_lat = w_lon + e_lon, w_lat + e_lat
        if abs(e_lon) < tolerance and abs(e_lat) < tolerance:
            break
    return w_lon, w_lat


CONVERTERS = {"wgs84": None, "gcj02": gcj02_to_wgs84}


def transform_geometry(geom: dict, fn: object) -> dict:
    """A GeoJSON geometry with ``fn(lon, lat)`` applied to every position."""
    if fn is None:
        return geom
    f = fn  # for mypy's sake below

    def walk(c: object) -> object:
        if isinstance(c, list | tuple) and c and isinstance(c[0], int | float):
            x, y = f(float(c[0]), float(c[1]))  # type: ignore[operator]
            return [round(x, 7), round(y, 7), *list(c[2:])]
        if isinstance(c, list | tuple):
            return [walk(i) for i in c]
        return c

    out = dict(geom)
    if "coordinates" in geom:
        out["coordinates"] = walk(geom["coordinates"])
    if "geometries" in geom:
        out["geometries"] = [transform_geometry(g, fn) for g in geom["geometries"]]
    return out
