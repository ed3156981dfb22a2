"""Login doors under a password-guessing flood with rotating X-Forwarded-For, and the portal's
SMS-code button pressed by a crowd."""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

from resilience.client import Answer, Client
from resilience.context import Context
from resilience.report import Row, describe_statuses, server_errors
from resilience.world import PASSWORD


def fake_ip(i: int) -> str:
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255 or 1}"


def spoofed(i: int) -> dict[str, str]:
    ip = fake_ip(i)
    return {"X-Forwarded-For": ip, "X-Real-IP": ip}


class FormDoor:
    """A sign-in form reached from ``entry`` (following one redirect, as /admin/login/ sends to the
    staff sign-in). The password is accepted when the POST answers with a redirect away from the form."""

    def __init__(self, port: int, entry: str) -> None:
        self.port = port
        self.entry = entry

    def attempt(self, client: Client, username: str, password: str, i: int) -> tuple[int, bool]:
        page = client.request("GET", self.entry, headers=spoofed(i))
        path = self.entry
        if page.status in (301, 302) and page.headers.get("location"):
            path = _local(page.headers["location"])
            page = client.request("GET", path, headers=spoofed(i))
        form = {"username": username, "password": password, "csrfmiddlewaretoken": client.csrf_from(page)}
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        if "next" in query:
            form["next"] = query["next"][0]
        a = client.request("POST", path, form=form, headers=spoofed(i))
        accepted = (
            a.status in (301, 302, 303) and _local(a.headers.get("location", "")).split("?")[0] != path.split("?")[0]
        )
        return a.status, accepted


class TokenDoor:
    def __init__(self, port: int) -> None:
        self.port = port

    def attempt(self, client: Client, username: str, password: str, i: int) -> tuple[int, bool]:
        a: Answer = client.request(
            "POST", "/api/token/", body={"username": username, "password": password}, headers=spoofed(i)
        )
        body = a.json()
        return a.status, a.status == 200 and isinstance(body, dict) and bool(body.get("token"))


def _local(location: str) -> str:
    parts = urllib.parse.urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


RATE_WINDOW_S = 61  # a per-address rate limit (per minute) has passed; a 15-minute lock has not


def login_doors(ctx: Context) -> list[Row]:
    tries = int(ctx.size(1000, 100))
    doors: dict[str, tuple[str, FormDoor | TokenDoor]] = {
        "web": ("web /staff/login/", FormDoor(ctx.port, "/staff/login/")),
        "api": ("API /api/token/", TokenDoor(ctx.port)),
        "admin": ("admin /admin/login/", FormDoor(ctx.port, "/admin/login/")),
    }
    floods = {key: flood(ctx, label, door, ctx.world.door_users[key], tries) for key, (label, door) in doors.items()}
    # The right password once the per-address rate limits have cooled down: only a lock may refuse it.
    time.sleep(RATE_WINDOW_S)
    rows = []
    for key, (label, door) in doors.items():
        done, statuses, accepted_wrong, seconds = floods[key]
        client = Client(ctx.port, timeout=30)
        final_status, granted = door.attempt(client, ctx.world.door_users[key], PASSWORD, tries + 7)
        client.close()
        locked = sum(1 for s in statuses if s in (403, 429))
        # Either the account is locked, or the door refused every attempt before a password was checked (the
        # per-address limit, 429): then no password was guessed and the owner must still get in — a lock there
        # would let anyone lock any account out without guessing.
        never_checked = bool(statuses) and all(s == 429 for s in statuses)
        ok = (not granted or never_checked) and accepted_wrong == 0 and server_errors(statuses) == 0 and done == tries
        figure = (
            f"{done}/{tries} wrong passwords in {seconds:.0f}s, rotating X-Forwarded-For ({describe_statuses(statuses)};"
            f" {locked} refused); right password {RATE_WINDOW_S}s later → {final_status} "
            f"{'GRANTED' if granted else 'refused'}"
        )
        rows.append(Row(f"lockout: {label}", figure, ok))
    return rows


def flood(
    ctx: Context, label: str, door: FormDoor | TokenDoor, username: str, tries: int
) -> tuple[int, list[int], int, float]:
    """``tries`` wrong passwords, 8 at a time, each from a new forwarded address (bounded in time).
    Returns (attempts made, their statuses, wrong passwords accepted, seconds)."""
    statuses: list[int] = []
    accepted_wrong = 0
    lock = threading.Lock()
    t0 = time.monotonic()
    deadline = t0 + ctx.size(900, 150)

    def one(i: int) -> None:
        nonlocal accepted_wrong
        if time.monotonic() > deadline:
            return
        client = Client(ctx.port, timeout=30)
        status, accepted = door.attempt(client, username, f"wrong-{i}-password", i)
        client.close()
        with lock:
            statuses.append(status)
            accepted_wrong += int(accepted)

    ctx.log(f"{label}: {tries} wrong passwords")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(tries)))
    return len(statuses), statuses, accepted_wrong, time.monotonic() - t0


def _send_code(port: int, phone: str, i: int, barrier: threading.Barrier | None = None) -> int:
    client = Client(port, timeout=30)
    page = client.request("GET", "/portal/submit/", headers=spoofed(i))
    form = {"action": "send_code", "phone": phone, "csrfmiddlewaretoken": client.csrf_from(page)}
    if barrier is not None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(30)
    a = client.request("POST", "/portal/submit/", form=form, headers=spoofed(i))
    client.close()
    return a.status


def _codes_for(phones: list[str]) -> int:
    from django.db import close_old_connections

    from fengqiao.portal import verify
    from fengqiao.portal.models import PhoneVerification

    close_old_connections()
    return PhoneVerification.objects.filter(phone_hash__in=[verify.phone_hash(p) for p in phones]).count()


def sms_flood(ctx: Context) -> list[Row]:
    from fengqiao.portal import verify

    per_ip = int(getattr(verify, "DAILY_PER_IP", 30))
    rows = []
    # 20 presses at the same instant for one phone: one code, one SMS.
    phone = "13900000001"
    barrier = threading.Barrier(20)
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda i: _send_code(ctx.port, phone, i, barrier), range(20)))
    codes = _codes_for([phone])
    rows.append(
        Row(
            "SMS code: 20 concurrent presses, one phone",
            f"{codes} codes issued (≤1); {describe_statuses(statuses)}",
            codes <= 1 and server_errors(statuses) == 0,
        )
    )
    # A crowd: many phones from one client rotating X-Forwarded-For — the per-address limit must hold.
    n = int(ctx.size(300, 120))
    phones = [f"1390000{i:04d}" for i in range(100, 100 + n)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: _send_code(ctx.port, phones[i], 1000 + i), range(n)))
    codes = _codes_for(phones) + _codes_for([phone])
    rows.append(
        Row(
            "SMS code: flood, rotating X-Forwarded-For",
            f"{n} presses for {n} phones → {codes} codes from one address (≤{per_ip}/day); {describe_statuses(statuses)}",
            codes <= per_ip and server_errors(statuses) == 0,
        )
    )
    return rows
