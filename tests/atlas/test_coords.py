"""WGS-84 ⇄ GCJ-02 against the published reference vectors (the eviltransform test fixtures)."""

from __future__ import annotations

import pytest

from fengqiao.atlas.coords import gcj02_to_wgs84, transform_geometry, wgs84_to_gcj02

# (wgs lat, wgs lon, gcj lat, gcj lon)
VECTORS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), VECTORS)
def test_forward_matches_reference(wlat: float, wlon: float, glat: float, glon: float) -> None:
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), VECTORS)
def test_inverse_recovers_wgs84(wlat: float, wlon: float, glat: float, glon: float) -> None:
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert lon == pytest.approx(wlon, abs=1e-7)
    assert lat == pytest.approx(wlat, abs=1e-7)


def test_no_shift_outside_china() -> None:
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


def test_xianju_shift_is_a_few_hundred_metres() -> None:
    lon, lat = wgs84_to_gcj02(120.73, 28.85)
    # about 0.0045° east and 0.003° south in Zhejiang: 300–600 m
    assert 0.002 < lon - 120.73 < 0.007
    assert -0.005 < lat - 28.85 < 0.0


def test_transform_geometry_every_position() -> None:
    geom = {"type": "Polygon", "coordinates": [[[120.7, 28.8], [120.8, 28.8], [120.8, 28.9], [120.7, 28.8]]]}
    out = transform_geometry(geom, gcj02_to_wgs84)
    assert out["coordinates"][0][0][0] < 120.7
    assert len(out["coordinates"][0]) == 4
    assert transform_geometry(geom, None) is geom
