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
    created_at: dt.datetime
    similarity: float
    same_phone: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "code": self.code,
            "title": self.title,
            "state": self.state,
            "created_at": self.created_at.isoformat(),
            "similarity": round(self.similarity, 2),
            "same_phone": self.same_phone,
        }


@dataclass
class DuplicateReport:
    similar: list[Similar] = field(default_factory=list)
    merge: list[Similar] = field(default_factory=list)
    group: dict[str, Any] = field(default_factory=dict)

    def as_list(self, limit: int = 10) -> list[dict[str, Any]]:
        seen: dict[int, dict[str, Any]] = {}
        for s in self.merge[:limit]:
            seen[s.case_id] = {**s.as_dict(), "suggest": "merge"}
        for s in self.similar:
            if len(seen) >= limit:
                break
            seen.setdefault(s.case_id, {**s.as_dict(), "suggest": "similar"})
        return list(seen.values())


PER_BAND = 25  # newest rows read per band bucket
LATERAL_FROM = 4  # PostgreSQL: more texts than this are looked up band by band with LATERAL joins
LOOKUP_CHUNK = 10  # otherwise: texts per lookup query, 8 sub-selects each (planning grows faster than linearly)


def find_similar(
    text: str, *, exclude: int | None = None, since: dt.datetime | None = None, values: np.ndarray | None = None
) -> list[tuple[int, float]]:
    """(case id, estimated Jaccard) of stored texts sharing an LSH band with ``text``, most similar first.

    One index range per band on (band key, created_at), newest first, at most ``PER_BAND`` rows each:
    8 small index scans whatever the size of a bucket (boilerplate phrases make some buckets big)."""
    values = minhash(text) if values is None else values
    return find_similar_many([values], before=[exclude], since=since)[0]


def find_similar_many(
    values_list: list[np.ndarray], *, before: list[int | None], since: dt.datetime | None = None
) -> list[list[tuple[int, float]]]:
    """:func:`find_similar` for several texts at once (a batch on PostgreSQL: one query per band;
    otherwise ``LOOKUP_CHUNK`` texts per query). ``before[j]``:
    the case of text ``j`` — only cases registered before it (smaller ids) are candidates, so a batch
    sees its own earlier rows as a sequence of single registrations would."""
    from django.db import connection

    from fengqiao.triage.models import TextSignature

    table = connection.ops.quote_name(TextSignature._meta.db_table)
    since_sql = " AND created_at >= %s" if since is not None else ""
    rows: list[dict[int, bytes]] = [{} for _ in values_list]  # text j -> candidate case -> its MinHash

    def take(j: int, cid: int, mh: Any) -> None:
        own = before[j]
        if own is None or cid < own:
            rows[j].setdefault(cid, bytes(mh))

    def scored() -> list[list[tuple[int, float]]]:
        # Estimated Jaccard of all of a text's candidates at once (one array comparison).
        out: list[list[tuple[int, float]]] = []
        for values, cands in zip(values_list, rows, strict=True):
            if not cands:
                out.append([])
                continue
            ids = list(cands)
            arr = np.frombuffer(b"".join(cands.values()), dtype=np.uint32).reshape(len(ids), NUM_PERM)
            sims = np.count_nonzero(arr == values, axis=1) / NUM_PERM
            pairs = sorted(zip(ids, sims.tolist(), strict=True), key=lambda x: -x[1])
            out.append(pairs[:MAX_CANDIDATES])
        return out

    if connection.vendor == "postgresql" and len(values_list) > LATERAL_FROM:
        # One query per band for the whole batch: a LATERAL index range per text.
        keys = [band_keys(v) for v in values_list]
        owns = [b if b is not None else 2**62 for b in before]
        with connection.cursor() as cur:
            for i in range(BANDS):
                cur.execute(
                    # Only our table name, band numbers and constants are interpolated.
                    f"SELECT v.q, s.case_id, s.minhash FROM unnest(%s::bigint[], %s::int[], %s::bigint[])"  # noqa: S608
                    f" AS v(k, q, own) CROSS JOIN LATERAL (SELECT case_id, minhash FROM {table}"
                    f" WHERE b{i} = v.k AND case_id < v.own{since_sql}"
                    f" ORDER BY created_at DESC LIMIT {PER_BAND}) AS s",
                    [[k[i] for k in keys], list(range(len(keys))), owns] + ([since] if since is not None else []),
                )
                for j, cid, mh in cur.fetchall():
                    take(j, cid, mh)
        return scored()

    for start in range(0, len(values_list), LOOKUP_CHUNK):
        parts: list[str] = []
        params: list[Any] = []
        for j in range(start, min(start + LOOKUP_CHUNK, len(values_list))):
            # Later rows of this batch are skipped in Python (a ``case_id <`` condition here makes
            # PostgreSQL pick the primary key for some buckets: 170 ms instead of 2 at 1M cases); they
            # may fill a bucket's newest rows, so each text reads that many rows more.
            limit = PER_BAND + len(values_list) - j - 1
            for i, k in enumerate(band_keys(values_list[j])):
                parts.append(
                    # Only our table name, numbers and constants are interpolated; values are parameters.
                    f"SELECT {j} AS q, s{j}_{i}.* FROM (SELECT case_id, minhash FROM {table}"  # noqa: S608
                    f" WHERE b{i} = %s{since_sql} ORDER BY created_at DESC LIMIT {limit}) AS s{j}_{i}"
                )
                params.append(k)
                if since is not None:
                    params.append(since)
        with connection.cursor() as cur:
            cur.execute(" UNION ALL ".join(parts), params)
            for j, cid, mh in cur.fetchall():
                take(j, cid, mh)
    return scored()


def check_many(items: list[tuple[Any, list[str], np.ndarray]]) -> list[DuplicateReport]:
    """Similar open cases, merge suggestions (same phone) and a group suggestion for new cases
    (``(case, applicant phone hashes, MinHash)`` each) with a
    fixed number of queries plus one per ``LOOKUP_CHUNK`` cases. Each case is compared with the
    cases registered before it, its own batch included."""
    from fengqiao.cases.models import Case, Party
    from fengqiao.cases.workflow import OPEN_STATES
    from fengqiao.triage.models import TextSignature

    if not items:
        return []
    now = timezone.now()
    since = now - dt.timedelta(days=MERGE_DAYS)
    found = find_similar_many([v for _, _, v in items], before=[c.pk for c, _, _ in items], since=since)
    hits_list = [dict(f) for f in found]

    # Same phone, open, last 90 days: compare their texts even when no LSH band is shared.
    all_phones = {h for _, phones, _ in items for h in phones}
    by_phone: dict[str, list[int]] = {}
    if all_phones:
        rows = Party.objects.filter(
            phone_hash__in=all_phones, case__created_at__gte=since, case__state__in=list(OPEN_STATES)
        ).values_list("phone_hash", "case_id")
        for ph, cid in rows.order_by("-case_id"):
            by_phone.setdefault(ph, []).append(cid)
    same_list: list[set[int]] = []
    missing: set[int] = set()
    for (case, phones, _), hits in zip(items, hits_list, strict=True):
        same = {cid for ph in phones for cid in by_phone.get(ph, [])[:50] if cid < case.pk}
        same_list.append(same)
        missing |= same - set(hits)
    stored = (
        dict(TextSignature.objects.filter(case_id__in=missing).values_list("case_id", "minhash")) if missing else {}
    )
    wanted_list: list[set[int]] = []
    for (_, _, values), hits, same in zip(items, hits_list, same_list, strict=True):
        for cid in same - set(hits):
            if cid in stored:
                hits[cid] = similarity(values, np.frombuffer(bytes(stored[cid]), dtype=np.uint32))
        wanted_list.append({cid for cid, s in hits.items() if s >= SIMILAR or (cid in same and s >= MERGE_SIMILAR)})

    all_wanted = set().union(*wanted_list)
    info = (
        {
            c["pk"]: c
            for c in Case.objects.filter(pk__in=all_wanted).values(
                "pk", "code", "title", "state", "created_at", "merged_into"
            )
        }
        if all_wanted
        else {}
    )
    open_states = set(OPEN_STATES)
    recent_cut = now - dt.timedelta(days=GROUP_DAYS)
    reports: list[DuplicateReport] = []
    group_ids_list: list[list[int]] = []
    for hits, same, wanted in zip(hits_list, same_list, wanted_list, strict=True):
        report = DuplicateReport()
        for cid in sorted(wanted, key=lambda x: -hits[x]):
            c = info.get(cid)
            if c is None or c["merged_into"]:
                continue
            s = Similar(cid, c["code"], c["title"], c["state"], c["created_at"], hits[cid], same_phone=cid in same)
            if s.same_phone and c["state"] in open_states:
                report.merge.append(s)
            elif s.similarity >= SIMILAR:
                report.similar.append(s)
        reports.append(report)
        # Group: different people, similar matter, recent.
        group_ids_list.append(
            [
                s.case_id
                for s in report.similar
                if not s.same_phone and s.created_at >= recent_cut and s.state in open_states
            ]
        )

    all_group = set().union(*map(set, group_ids_list))
    applicants: dict[int, set[str]] = {}
    if all_group:
        for cid, ph in Party.objects.filter(case_id__in=all_group, role="applicant").values_list(
            "case_id", "phone_hash"
        ):
            applicants.setdefault(cid, set()).add(ph)
    for (_, phones, _), report, group_ids in zip(items, reports, group_ids_list, strict=True):
        if not group_ids:
            continue
        own, in_group = set(phones), set(group_ids)
        people = {ph for cid in group_ids for ph in applicants.get(cid, ()) if ph and ph not in own}
        # Anonymous or phoneless reports still count as one person each.
        with_phone = {cid for cid in group_ids if any(applicants.get(cid, ()))}
        count = len(people) + len(set(group_ids) - with_phone) + 1
        if count >= GROUP_MIN_PEOPLE:
            report.group = {
                "people": count,
                "cases": [s.as_dict() for s in [x for x in report.similar if x.case_id in in_group][:20]],
                "reason": f"近{GROUP_DAYS}天内{count}名不同群众反映相似事项，建议按群体性事件关联处理",
            }
    return reports
