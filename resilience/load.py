"""The load: N virtual staff users, each a thread with its own connection, running a mix of page
reads, searches and writes (70/20/10) until a deadline. Every request is logged with its time,
status and latency; writes carry a unique marker so the suite can check what was stored."""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field

from resilience.client import Answer, Client
from resilience.world import StaffLogin

SEARCH_WORDS = ["纠纷", "漏水", "噪音", "工资", "邻里", "物业"]


@dataclass
class Hit:
    at: float  # monotonic seconds
    kind: str  # read | search | write
    status: int
    ms: float
    label: str = ""  # which door: workbench, case page, API case …
    error: str = ""  # why a request got no answer (status 0)


@dataclass
class Write:
    at: float
    kind: str  # register | note
    marker: str
    status: int
    wall: float = 0.0  # time.time() when the answer came


@dataclass
class LoadLog:
    hits: list[Hit] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def statuses(self, since: float = 0.0, until: float = float("inf")) -> list[int]:
        return [h.status for h in self.hits if since <= h.at < until]

    def latencies(self, since: float = 0.0) -> list[float]:
        return [h.ms for h in self.hits if h.at >= since and h.status]

    def by_label(self, since: float = 0.0) -> dict[str, list[float]]:
        """Latencies of the answered requests per door, to see which one makes the p95."""
        out: dict[str, list[float]] = {}
        for h in self.hits:
            if h.at >= since and h.status:
                out.setdefault(h.label, []).append(h.ms)
        return out

    def errors(self) -> list[str]:
        return [f"{h.label}: {h.error}" for h in self.hits if not h.status]


def one_request(
    client: Client, user: StaffLogin, rng: random.Random, villages: list[int]
) -> tuple[str, str, Answer, Write | None]:
    """One click of the mix: (kind, door, answer, the write if it was one)."""
    roll = rng.random()
    if roll < 0.70:
        pick = rng.random()
        if pick < 0.35:
            return "read", "workbench", client.request("GET", "/staff/workbench/"), None
        if pick < 0.65:
            return "read", "case page", client.request("GET", f"/staff/cases/{rng.choice(user.display_codes)}/"), None
        if pick < 0.9:
            a = client.request("GET", f"/api/cases/{rng.choice(user.case_codes)}/", api=True)
            return "read", "API case", a, None
        return "read", "API me", client.request("GET", "/api/me/", api=True), None
    if roll < 0.90:
        word = rng.choice(SEARCH_WORDS)
        pick = rng.random()
        if pick < 0.4:
            return "search", "workbench q", client.request("GET", f"/staff/workbench/?q={_q(word)}"), None
        if pick < 0.8:
            return "search", "API q", client.request("GET", f"/api/cases/?q={_q(word)}", api=True), None
        # a search by phone number: it must not land in any log
        a = client.request("GET", f"/api/cases/?q=138{rng.randrange(10**8):08d}", api=True)
        return "search", "API q phone", a, None
    marker = f"韧性-{uuid.uuid4().hex[:16]}"
    if rng.random() < 0.5:
        body = {
            "title": marker,
            "description": "在线登记：邻居装修噪音扰民，晚上十点后仍在施工。",
            "channel": "phone",
            "category": "0203",
            "location_unit": rng.choice(villages),
            "parties": [{"role": "applicant", "name": "赵先生", "phone": f"137{rng.randrange(10**8):08d}"}],
        }
        a = client.request("POST", "/api/cases/", body=body, api=True)
        return "write", "API register", a, Write(time.monotonic(), "register", marker, a.status, time.time())
    code = rng.choice(user.case_codes)
    a = client.request("POST", f"/api/cases/{code}/actions/note/", body={"text": marker}, api=True)
    return "write", "API note", a, Write(time.monotonic(), "note", marker, a.status, time.time())


def _q(word: str) -> str:
    from urllib.parse import quote

    return quote(word)


def run_load(
    port: int,
    users: list[StaffLogin],
    villages: list[int],
    seconds: float,
    clients: int | None = None,
    log: LoadLog | None = None,
    stop: threading.Event | None = None,
    timeout: float = 30.0,
    think_s: float = 0.0,
) -> LoadLog:
    """``clients`` threads (default: one per user, users reused round-robin) until ``seconds`` have
    passed or ``stop`` is set. Bounded: each request times out after ``timeout`` seconds."""
    log = log or LoadLog()
    stop = stop or threading.Event()
    deadline = time.monotonic() + seconds
    n = clients or len(users)

    def worker(i: int) -> None:
        user = users[i % len(users)]
        client = Client(port, timeout=timeout, token=user.token, session=user.session)
        rng = random.Random(i)
        hits: list[Hit] = []
        writes: list[Write] = []
        while time.monotonic() < deadline and not stop.is_set():
            t = time.monotonic()
            kind, label, answer, write = one_request(client, user, rng, villages)
            status = answer.status
            hits.append(Hit(t, kind, status, answer.ms, label, answer.error))
            if write is not None:
                writes.append(write)
            if status == 0:
                stop.wait(0.2)  # the server is away: do not spin
            elif think_s:
                stop.wait(rng.uniform(0, 2 * think_s))
        client.close()
        with log.lock:
            log.hits.extend(hits)
            log.writes.extend(writes)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(seconds + timeout + 30)
    return log


def background_load(
    port: int, users: list[StaffLogin], villages: list[int], seconds: float, clients: int
) -> tuple[threading.Thread, threading.Event, LoadLog]:
    """The same load in a background thread (for outages): returns (thread, stop flag, log)."""
    log = LoadLog()
    stop = threading.Event()
    th = threading.Thread(
        target=run_load, args=(port, users, villages, seconds, clients, log, stop), kwargs={"think_s": 0.2}, daemon=True
    )
    th.start()
    return th, stop, log
