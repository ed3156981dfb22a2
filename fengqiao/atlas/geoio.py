"""Reading geometry files: GeoJSON (FeatureCollection / Feature / bare geometry), ESRI Shapefile
(via pyshp: ``.shp`` with its ``.dbf``, or a ``.zip`` holding them) and CSV point lists.

Every reader returns plain features ``{"properties": {...}, "geometry": {...} | None}`` or raises
:class:`GeoFileError` with a message in plain Chinese.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _


class GeoFileError(ValueError):
    pass


Feature = dict[str, Any]


def read_features(path: str | Path, data: bytes | None = None) -> list[Feature]:
    """The features of the file at ``path`` (or of ``data``, named ``path``)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if data is None:
        if not p.exists():
            raise GeoFileError(_("文件不存在：%(name)s") % {"name": p.name})
        data = p.read_bytes()
    if suffix in (".geojson", ".json"):
        return _geojson(data)
    if suffix == ".shp":
        return _shapefile(p)
    if suffix == ".zip":
        return _shapefile_zip(data)
    if suffix == ".csv":
        return _csv(data)
    raise GeoFileError(
        _("不支持的文件类型“%(suffix)s”：请提供 GeoJSON、Shapefile（.shp 或 .zip）或 CSV") % {"suffix": suffix}
    )


def _geojson(data: bytes) -> list[Feature]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise GeoFileError(_("文件不是 UTF-8 编码的文本")) from exc
    except json.JSONDecodeError as exc:
        raise GeoFileError(
            _("GeoJSON 格式错误（第 %(line)s 行第 %(col)s 列）：%(msg)s")
            % {"line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from exc
    if not isinstance(doc, dict) or "type" not in doc:
        raise GeoFileError(_("不是 GeoJSON：缺少 type"))
    if doc["type"] == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise GeoFileError(_("FeatureCollection 缺少 features 列表"))
    elif doc["type"] == "Feature":
        feats = [doc]
    else:
        feats = [{"type": "Feature", "properties": {}, "geometry": doc}]
    out = []
    for f in feats:
        if not isinstance(f, dict):
            raise GeoFileError(_("features 中有一项不是对象"))
        props = f.get("properties") or {}
        out.append({"properties": props if isinstance(props, dict) else {}, "geometry": f.get("geometry")})
    return out


def _records(reader: Any) -> list[Feature]:
    fields = [f[0] for f in reader.fields[1:]]
    out = []
    for sr in reader.iterShapeRecords():
        props = dict(zip(fields, list(sr.record), strict=False))
        geom = sr.shape.__geo_interface__ if sr.shape.shapeType != 0 else None
        out.append({"properties": props, "geometry": geom})
    return out


def _shapefile(p: Path) -> list[Feature]:
    import shapefile

    try:
        with shapefile.Reader(str(p), encoding=_dbf_encoding(p)) as reader:
            return _records(reader)
    except (shapefile.ShapefileException, OSError, UnicodeDecodeError, ValueError) as exc:
        raise GeoFileError(_("无法读取 Shapefile：%(err)s") % {"err": exc}) from exc


def _dbf_encoding(p: Path) -> str:
    cpg = p.with_suffix(".cpg")
    if cpg.exists():
        name = cpg.read_text(errors="ignore").strip().lower()
        return {"utf-8": "utf-8", "utf8": "utf-8", "gbk": "gbk", "936": "gbk", "gb2312": "gbk"}.get(name, "utf-8")
    return "utf-8"


def _shapefile_zip(data: bytes) -> list[Feature]:
    import shapefile

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
        shp = next((n for n in names if n.lower().endswith(".shp")), None)
        if shp is None:
            raise GeoFileError(_("压缩包中没有 .shp 文件"))
        base = shp[:-4]

        def part(ext: str) -> io.BytesIO | None:
            n = next((x for x in names if x.lower() == (base + ext).lower()), None)
            return io.BytesIO(zf.read(n)) if n else None

        cpg = part(".cpg")
        enc = (
            "gbk" if cpg and cpg.read().decode(errors="ignore").strip().lower() in ("gbk", "936", "gb2312") else "utf-8"
        )
        with shapefile.Reader(shp=part(".shp"), dbf=part(".dbf"), shx=part(".shx"), encoding=enc) as reader:
            return _records(reader)
    except zipfile.BadZipFile as exc:
        raise GeoFileError(_("压缩包已损坏")) from exc
    except (shapefile.ShapefileException, OSError, UnicodeDecodeError, ValueError) as exc:
        raise GeoFileError(_("无法读取 Shapefile：%(err)s") % {"err": exc}) from exc


def _csv(data: bytes) -> list[Feature]:
    """Point rows: a header with 经度/lon and 纬度/lat columns (other columns become properties)."""
    text = None
    for enc in ("utf-8-sig", "gbk"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise GeoFileError(_("CSV 编码无法识别（请用 UTF-8 或 GBK）"))
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise GeoFileError(_("CSV 没有数据行"))
    lon_key = next((k for k in rows[0] if k and k.strip().lower() in ("lon", "lng", "经度", "x")), None)
    lat_key = next((k for k in rows[0] if k and k.strip().lower() in ("lat", "纬度", "y")), None)
    if lon_key is None or lat_key is None:
        raise GeoFileError(_("CSV 需要“经度”和“纬度”两列"))
    out = []
    for i, r in enumerate(rows, start=2):
        props = {k.strip(): (v or "").strip() for k, v in r.items() if k}
        try:
            geom: dict[str, Any] | None = {"type": "Point", "coordinates": [float(r[lon_key]), float(r[lat_key])]}
        except (TypeError, ValueError):
            geom = None
        props["_line"] = i
        out.append({"properties": props, "geometry": geom})
    return out
