"""Near-duplicate cases and group matters (群体性) at intake.

Text similarity uses MinHash over character 3-grams (datasketch) with LSH in 8 bands of 4 rows: two
texts whose 3-gram Jaccard similarity is ``s`` share at least one band with probability
``1 - (1 - s**4)**8`` (s=0.5 → 0.40, 0.6 → 0.66, 0.7 → 0.87, 0.8 → 0.98). The band keys are stored
in :class:`~fengqiao.triage.models.TextSignature`, one indexed column per band, so every web process
and worker shares one index and a lookup is 8 index probes (a BitmapOr on PostgreSQL) whatever
the number of cases; the candidates' stored MinHashes then give the estimated similarity.

- Same phone with a similar open case in the last 90 days → suggest merging (合并).
- Several different people with a similar matter in the last 30 days → suggest linking as a group.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from django.utils import timezone

NUM_PERM = 32
BANDS = 8
ROWS = NUM_PERM // BANDS
SHINGLE = 3
MERGE_DAYS = 90
GROUP_DAYS = 30
SIMILAR = 0.5  # estimated Jaccard at or above which two texts are "similar"
MERGE_SIMILAR = 0.3  # same phone: a looser bar (the same person tends to rephrase)
GROUP_MIN_PEOPLE = 3  # this case's applicant plus at least two other people
MAX_CANDIDATES = 300

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    return _STRIP.sub("", text or "").lower()


def shingles(text: str) -> set[bytes]:
    t = normalise(text)
    if len(t) <= SHINGLE:
        return {t.encode()} if t else set()
    return {t[i : i + SHINGLE].encode() for i in range(len(t) - SHINGLE + 1)}


@lru_cache(maxsize=1)
def _permutations() -> Any:
    from datasketch import MinHash

    return MinHash(num_perm=NUM_PERM, seed=20261123, scheme="affine32").permutations


def minhash(text: str) -> np.ndarray:
    """The 32 MinHash values (uint32) of the text's character 3-grams."""
    from datasketch import MinHash

    m = MinHash(num_perm=NUM_PERM, permutations=_permutations(), scheme="affine32")
    sh = shingles(text)
    if sh:
        m.update_batch(list(sh))
    return np.asarray(m.hashvalues, dtype=np.uint32)


def band_keys(values: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (band number included, so equal rows in different bands differ)."""
    keys = []
    for b in range(BANDS):
        chunk = values[b * ROWS : (b + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(bytes([b]) + chunk, digest_size=8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / NUM_PERM


def signature_row(
    case_id: int, text: str, created_at: dt.datetime | None = None, values: np.ndarray | None = None
) -> Any:
    from fengqiao.triage.models import TextSignature

    values = minhash(text) if values is None else values
    keys = band_keys(values)
    return TextSignature(
        case_id=case_id,
        created_at=created_at or timezone.now(),
        minhash=values.tobytes(),
        **{f"b{i}": k for i, k in enumerate(keys)},
    )


def case_text(title: str, description: str) -> str:
    return f"{title}\n{description}"


@dataclass
class Similar:
    case_id: int
    code: str
    title: str
    state: str
    created_at: str
    similarity: float
    same_phone: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "code": self.code,
            "title": self.title,
            "state": self.state,
            "created_at": self.created_at,
            "similarity": round(self.similarity, 2),
            "same_phone": self.same_phone,
        }


@dataclass
class DuplicateReport:
    similar: list[Similar] = field(default_factory=list)
    merge: list[Similar] = field(default_factory=list)
    group: dict[str, Any] = field(default_factory=dict)

    def as_list(self) -> list[dict[str, Any]]:
        seen: dict[int, dict[str, Any]] = {}
        for s in self.merge:
            seen[s.case_id] = {**s.as_dict(), "suggest": "merge"}
        for s in self.similar:
            seen.setdefault(s.case_id, {**s.as_dict(), "suggest": "similar"})
        return list(seen.values())[:10]


PER_BAND = 25  # newest rows read per band bucket


def find_similar(
    text: str, *, exclude: int | None = None, since: dt.datetime | None = None, values: np.ndarray | None = None
) -> list[tuple[int, float]]:
    """(case id, estimated Jaccard) of stored texts sharing an LSH band with ``text``, most similar first.

    One index range per band on (band key, created_at), newest first, at most ``PER_BAND`` rows each:
    8 small index scans whatever the size of a bucket (boilerplate phrases make some buckets big)."""
    from django.db import connection

    from fengqiao.triage.models import TextSignature

    values = minhash(text) if values is None else values
    keys = band_keys(values)
    table = connection.ops.quote_name(TextSignature._meta.db_table)
    since_sql = " AND created_at >= %s" if since is not None else ""
    parts: list[str] = []
    params: list[Any] = []
    for i, k in enumerate(keys):
        parts.append(
            # Only our table name, band numbers and constants are interpolated; values are parameters.
            f"SELECT * FROM (SELECT case_id, minhash FROM {table} WHERE b{i} = %s{since_sql}"  # noqa: S608
            f" ORDER BY created_at DESC LIMIT {PER_BAND}) AS s{i}"
        )
        params.append(k)
        if since is not None:
            params.append(since)
    seen: dict[int, float] = {}
    with connection.cursor() as cur:
        cur.execute(" UNION ALL ".join(parts), params)
        for cid, mh in cur.fetchall():
            if cid == exclude or cid in seen:
                continue
            seen[cid] = similarity(values, np.frombuffer(bytes(mh), dtype=np.uint32))
    out = sorted(seen.items(), key=lambda x: -x[1])
    return out[:MAX_CANDIDATES]


def check(case: Any, phone_hashes: list[str], values: np.ndarray | None = None) -> DuplicateReport:
    """Similar open cases, merge suggestions (same phone) and a group suggestion for a new case."""
    from fengqiao.cases.models import Case, Party
    from fengqiao.cases.workflow import OPEN_STATES
    from fengqiao.triage.models import TextSignature

    now = timezone.now()
    text = case_text(case.title, case.description)
    values = minhash(text) if values is None else values
    report = DuplicateReport()
    hits = dict(find_similar(text, exclude=case.pk, since=now - dt.timedelta(days=MERGE_DAYS), values=values))

    # Same phone, open, last 90 days: compare their texts even when no LSH band is shared.
    same_phone: set[int] = set()
    if phone_hashes:
        same_phone = set(
            Party.objects.filter(
                phone_hash__in=phone_hashes,
                case__created_at__gte=now - dt.timedelta(days=MERGE_DAYS),
                case__state__in=list(OPEN_STATES),
            )
            .exclude(case_id=case.pk)
            .values_list("case_id", flat=True)[:50]
        )
        missing = same_phone - set(hits)
        if missing:
            for cid, mh in TextSignature.objects.filter(case_id__in=missing).values_list("case_id", "minhash"):
                hits[cid] = similarity(values, np.frombuffer(bytes(mh), dtype=np.uint32))

    wanted = {cid for cid, s in hits.items() if s >= SIMILAR or (cid in same_phone and s >= MERGE_SIMILAR)}
    if not wanted:
        return report
    info = {
        c["pk"]: c
        for c in Case.objects.filter(pk__in=wanted).values("pk", "code", "title", "state", "created_at", "merged_into")
    }
    open_states = set(OPEN_STATES)
    for cid in sorted(wanted, key=lambda x: -hits[x]):
        c = info.get(cid)
        if c is None or c["merged_into"]:
            continue
        s = Similar(
            cid, c["code"], c["title"], c["state"], c["created_at"].isoformat(), hits[cid], same_phone=cid in same_phone
        )
        if s.same_phone and c["state"] in open_states:
            report.merge.append(s)
        elif s.similarity >= SIMILAR:
            report.similar.append(s)

    # Group: different people, similar matter, recent.
    recent_cut = now - dt.timedelta(days=GROUP_DAYS)
    group_ids = [
        s.case_id
        for s in report.similar
        if not s.same_phone and dt.datetime.fromisoformat(s.created_at) >= recent_cut and s.state in open_states
    ]
    if group_ids:
        people = set(
            Party.objects.filter(case_id__in=group_ids, role="applicant")
            .exclude(phone_hash="")
            .exclude(phone_hash__in=phone_hashes)
            .values_list("phone_hash", flat=True)
        )
        # Anonymous or phoneless reports still count as one person each.
        with_phone = set(
            Party.objects.filter(case_id__in=group_ids, role="applicant")
            .exclude(phone_hash="")
            .values_list("case_id", flat=True)
        )
        count = len(people) + len(set(group_ids) - with_phone) + 1
        if count >= GROUP_MIN_PEOPLE:
            report.group = {
                "people": count,
                "cases": [s.as_dict() for s in report.similar if s.case_id in group_ids][:20],
                "reason": f"近{GROUP_DAYS}天内{count}名不同群众反映相似事项，建议按群体性事件关联处理",
            }
    return report
