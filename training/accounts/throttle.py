"""Sign-in throttling that holds a class behind one address and still caps guessing.

Only *failed* sign-ins count, so thirty trainees on one Wi-Fi all get in. The
counters live in the database (table ``sign_in_throttles``), so every server
process sees the same numbers without Redis. Three counters per attempt:

- the address: at most ``ADDRESS_FAILURES`` failures per ``ADDRESS_WINDOW``, then
  the address waits for the window to end (guessing many accounts from one place);
- the account, for browsers that never signed in to it: after ``FREE_FAILURES``
  failures each further try waits longer (1 s, 2 s, 4 s … at most ``MAX_DELAY``),
  so guessing one account from many addresses is slow, and the lock is short;
- the account, for browsers where its owner signed in before (a signed
  "known device" cookie): the same back-off, counted apart, so a stranger's
  failures elsewhere never lock the owner out of their own phone.

A successful sign-in clears the account's counters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, Request, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import case, delete, select

from ..extensions import db
from .models import SignInThrottle

ADDRESS_FAILURES = 50
ADDRESS_WINDOW = timedelta(minutes=15)
FREE_FAILURES = 5
MAX_DELAY = timedelta(minutes=5)
ACCOUNT_MEMORY = timedelta(hours=1)  # an account's failures are forgotten after an hour of quiet
KNOWN_COOKIE = "pp_known"
KNOWN_MAX = 8  # accounts remembered per browser (a shared phone)


@dataclass(frozen=True)
class Keys:
    address: str
    account: str


def keys_for(login: str, address: str, known: bool) -> Keys:
    """The counters one attempt touches."""
    name = (login or "").strip().lower()[:200]
    return Keys(address=f"addr:{address}"[:255], account=(f"known:{name}" if known else f"acct:{name}")[:255])


def account_delay(failures: int) -> timedelta:
    """How long after the last failure the next try is allowed."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)), MAX_DELAY)


def wait_seconds(keys: Keys, now: datetime) -> int:
    """0 when the attempt may go ahead, else how many seconds to wait."""
    rows = {
        row.key: row
        for row in db.session.scalars(
            select(SignInThrottle).where(SignInThrottle.key.in_([keys.address, keys.account]))
        )
    }
    waits = [timedelta(0)]
    address = rows.get(keys.address)
    if address is not None and address.failures >= ADDRESS_FAILURES and address.window_start + ADDRESS_WINDOW > now:
        waits.append(address.window_start + ADDRESS_WINDOW - now)
    account = rows.get(keys.account)
    if account is not None and account.last_failure_at + ACCOUNT_MEMORY > now:
        waits.append(account.last_failure_at + account_delay(account.failures) - now)
    longest = max(waits)
    return int(-(-longest.total_seconds() // 1)) if longest > timedelta(0) else 0


def _upsert(key: str, window: timedelta, now: datetime) -> None:
    """failures += 1, or start again at 1 when the window has passed; one atomic statement."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = SignInThrottle.__table__
    statement = insert(table).values(key=key, failures=1, window_start=now, last_failure_at=now)
    expired = table.c.window_start < now - window
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((expired, 1), else_=table.c.failures + 1),
                "window_start": case((expired, now), else_=table.c.window_start),
                "last_failure_at": now,
            },
        )
    )


def record_failure(keys: Keys, now: datetime) -> None:
    _upsert(keys.address, ADDRESS_WINDOW, now)
    _upsert(keys.account, ACCOUNT_MEMORY, now)


def record_success(login: str) -> None:
    """The owner is in: forget the account's failures (from known and unknown browsers)."""
    name = (login or "").strip().lower()[:200]
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.key.in_([f"acct:{name}", f"known:{name}"])))


def prune(now: datetime) -> None:
    """Drop counters nobody needs any more (called now and then on sign-in)."""
    oldest = now - max(ADDRESS_WINDOW, ACCOUNT_MEMORY)
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.last_failure_at < oldest))


# The "known device" cookie: which accounts signed in on this browser before.
def _serializer(app: Flask) -> URLSafeSerializer:
    return URLSafeSerializer(app.secret_key, salt="peerpath-known-device")


def known_accounts(app: Flask, request: Request) -> list[int]:
    raw = request.cookies.get(KNOWN_COOKIE)
    if not raw:
        return []
    try:
        ids = _serializer(app).loads(raw)
    except BadSignature:
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []


def remember_device(app: Flask, response: Response, known: Iterable[int], user_id: int) -> None:
    ids = [user_id, *[i for i in known if i != user_id]][:KNOWN_MAX]
    response.set_cookie(
        KNOWN_COOKIE,
        _serializer(app).dumps(ids),
        max_age=int(timedelta(days=365).total_seconds()),
        secure=bool(app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
