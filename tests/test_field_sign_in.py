"""Sign-in in the real room: a class behind one address, strangers guessing, shared phones, dead Redis.

Through a live server (threaded werkzeug on a loopback port) on a real SQLite file
or, with PEERPATH_TEST_DATABASE=postgresql, a real PostgreSQL schema; rate limits on.
"""

from __future__ import annotations

import os
import re
import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from training.accounts import throttle
from training.extensions import db

from .live_server import PASSWORD, Browser, at_once, build_app, database, live_server, request, seed

KIND = "postgresql" if os.environ.get("PEERPATH_TEST_DATABASE") == "postgresql" else "sqlite"


@pytest.fixture
def room(tmp_path):
    """A live server trusting one proxy, so tests can speak from many addresses (X-Forwarded-For)."""
    with database(KIND, tmp_path) as url:
        app = build_app(url, tmp_path, RATELIMIT_ENABLED=True, PROXY_COUNT=1)
        world = seed(app, trainees=30)
        with live_server(app) as base:
            yield app, base, world


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


WIFI = from_address("203.0.113.7")


def test_thirty_trainees_behind_one_address_all_sign_in(room):
    """Point 1: a workshop room shares one address; every trainee gets in within the minute."""
    _app, base, _world = room
    answers = []
    for batch in range(3):
        calls = [
            lambda i=i: request(base, "POST", "/login", {"login": f"trainee{i}", "password": PASSWORD}, headers=WIFI)
            for i in range(batch * 10, batch * 10 + 10)
        ]
        answers += at_once(calls)
    assert [a.status for a in answers] == [302] * 30


def test_a_few_typos_in_the_room_lock_nobody_out(room):
    _app, base, _world = room
    for i in range(10):
        assert request(base, "POST", "/login", {"login": f"trainee{i}", "password": "typo"}, headers=WIFI).status == 200
    for i in range(30):
        assert (
            request(base, "POST", "/login", {"login": f"trainee{i}", "password": PASSWORD}, headers=WIFI).status == 302
        )


def test_guessing_one_account_backs_off(room):
    """After a few wrong passwords the account waits, and the right password is not even checked."""
    _app, base, _world = room
    stranger = from_address("198.51.100.1")
    statuses = [
        request(base, "POST", "/login", {"login": "trainee0", "password": f"guess{n}"}, headers=stranger).status
        for n in range(throttle.FREE_FAILURES + 1)
    ]
    assert statuses == [200] * throttle.FREE_FAILURES + [429]
    refused = request(base, "POST", "/login", {"login": "trainee0", "password": PASSWORD}, headers=stranger)
    assert refused.status == 429 and "Too many attempts" in refused.body


def test_guessing_many_accounts_from_one_address_is_capped(room):
    _app, base, _world = room
    guesser = from_address("198.51.100.2")
    for n in range(throttle.ADDRESS_FAILURES):
        login = f"trainee{n % 30}"
        assert request(base, "POST", "/login", {"login": login, "password": f"g{n}"}, headers=guesser).status in (
            200,
            429,
        )
    last = request(base, "POST", "/login", {"login": "nobody.at.all", "password": "x"}, headers=guesser)
    assert last.status == 429
    # Another address (the workshop room) is not affected.
    assert request(base, "POST", "/login", {"login": "trainee1", "password": PASSWORD}, headers=WIFI).status == 302


def test_stranger_from_many_addresses_cannot_lock_the_owner_out(room):
    """20 wrong passwords from 20 addresses: the owner's own phone still signs in at once."""
    _app, base, _world = room
    phone = Browser(base)
    assert phone.sign_in("trainee3", PASSWORD).status == 302
    assert phone.post("/logout").status == 302
    for n in range(20):
        answer = request(
            base, "POST", "/login", {"login": "trainee3", "password": f"x{n}"}, headers=from_address(f"192.0.2.{n + 1}")
        )
        assert answer.status in (200, 429)
    assert phone.post("/login", {"login": "trainee3", "password": PASSWORD}).status == 302


def test_back_off_is_short_and_success_resets_it(room):
    app, base, _world = room
    for n in range(throttle.FREE_FAILURES):
        request(base, "POST", "/login", {"login": "trainee4", "password": f"x{n}"}, headers=WIFI)
    with app.app_context():
        keys = throttle.keys_for("trainee4", "203.0.113.7", known=False)
        now = datetime.now(UTC)
        assert 0 < throttle.wait_seconds(keys, now) <= 1
        assert throttle.wait_seconds(keys, now + timedelta(seconds=2)) == 0
        # Even after many failures the wait is minutes, not an hour.
        for _ in range(30):
            throttle.record_failure(keys, now)
        db.session.commit()
        assert throttle.wait_seconds(keys, now) <= throttle.MAX_DELAY.total_seconds()
        throttle.record_success("trainee4")
        db.session.commit()
        assert throttle.wait_seconds(keys, now) == 0


def test_failed_attempt_counters_are_shared_between_processes(tmp_path):
    """Two app instances (like two gunicorn workers) on one database see the same failures."""
    with database(KIND, tmp_path) as url:
        first = build_app(url, tmp_path, RATELIMIT_ENABLED=True)
        seed(first, trainees=1)
        second = build_app(url, tmp_path, RATELIMIT_ENABLED=True)
        with live_server(first) as base1, live_server(second) as base2:
            statuses = [
                request(base1 if n % 2 else base2, "POST", "/login", {"login": "trainee0", "password": f"x{n}"}).status
                for n in range(throttle.FREE_FAILURES + 1)
            ]
    assert statuses == [200] * throttle.FREE_FAILURES + [429]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dead_redis_does_not_take_sign_in_down(tmp_path, caplog):
    """REDIS_URL points at a closed port: login, join, verify and set-password answer, never 500."""
    with database(KIND, tmp_path) as url:
        app = build_app(url, tmp_path, RATELIMIT_ENABLED=True, REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/9")
        seed(app, trainees=1)
        with live_server(app) as base:
            assert request(base, "POST", "/login", {"login": "trainee0", "password": "wrong"}).status == 200
            assert request(base, "POST", "/login", {"login": "trainee0", "password": PASSWORD}).status == 302
            assert (
                request(
                    base, "POST", "/join", {"code": "NOPE2345", "name": "A", "login": "abc", "password": "x"}
                ).status
                == 200
            )
            assert request(base, "GET", "/verify/AAAA-BBBB-CCCC").status == 404
            assert request(base, "POST", "/set-password/not-a-token", {"password": "p", "confirm": "p"}).status == 404


# Point 2: signing out ends the session on the server.


@pytest.fixture
def live(tmp_path):
    with database(KIND, tmp_path) as url:
        app = build_app(url, tmp_path, RATELIMIT_ENABLED=False)
        world = seed(app, trainees=2)
        with live_server(app) as base:
            yield app, base, world


def test_replayed_session_and_remember_cookies_do_not_open_the_journal_after_sign_out(live):
    _app, base, _world = live
    phone = Browser(base)
    assert phone.sign_in("trainee0", PASSWORD, remember=True).status == 302
    assert phone.get("/en/journal").status == 200
    stolen = dict(phone.cookies)
    assert "session" in stolen and "remember_token" in stolen
    assert phone.post("/logout").status == 302
    # The copied session cookie, the remember-me cookie alone, and both together: all dead.
    for cookies in (stolen, {"remember_token": stolen["remember_token"]}, {"session": stolen["session"]}):
        answer = request(base, "GET", "/en/journal", cookies=cookies)
        assert answer.status == 302 and "/login" in answer.location, cookies.keys()


def test_password_change_ends_other_sessions(live):
    _app, base, _world = live
    shared_phone, own_phone = Browser(base), Browser(base)
    assert shared_phone.sign_in("trainee0", PASSWORD, remember=True).status == 302
    assert own_phone.sign_in("trainee0", PASSWORD).status == 302
    changed = own_phone.post(
        "/account", {"current": PASSWORD, "password": "a new long secret 42", "confirm": "a new long secret 42"}
    )
    assert changed.status == 302
    assert own_phone.get("/en/journal").status == 200  # this device stays signed in
    answer = shared_phone.get("/en/journal")
    assert answer.status == 302 and "/login" in answer.location
    remember_only = request(
        base, "GET", "/en/journal", cookies={"remember_token": shared_phone.cookies["remember_token"]}
    )
    assert remember_only.status == 302


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(live):
    app, base, world = live
    phone = Browser(base)
    assert phone.sign_in("trainee1", PASSWORD, remember=True).status == 302
    stolen = dict(phone.cookies)
    coordinator = Browser(base)
    assert coordinator.sign_in("coord", PASSWORD).status == 302
    trainee_id = world.trainee_ids[1]
    form = {"name": "Trainee1", "email": "", "role": "trainee"}
    assert coordinator.post(f"/manage/users/{trainee_id}", form).status == 302  # 'active' unticked
    assert request(base, "GET", "/en/journal", cookies=stolen).status == 302
    assert coordinator.post(f"/manage/users/{trainee_id}", {**form, "active": "y"}).status == 302
    with app.app_context():
        from training.accounts.models import User

        assert db.session.get(User, trainee_id).active
    answer = request(base, "GET", "/en/journal", cookies=stolen)
    assert answer.status == 302 and "/login" in answer.location


# Point 5: a one-time link works once, even when used twice at the same instant.


def test_one_time_link_used_twice_at_once_works_once(live):
    from training.accounts import services
    from training.accounts.models import TokenPurpose, User
    from training.audit import AuditEvent

    app, base, world = live
    outcomes = []
    for n in range(10):
        with app.app_context():
            user = db.session.get(User, world.trainee_ids[0])
            secret = services.issue_token(None, user, TokenPurpose.RESET)
            db.session.commit()
        passwords = [f"first choice {n} long", f"second choice {n} long"]
        answers = at_once(
            [
                lambda p=p, secret=secret: request(
                    base, "POST", f"/set-password/{secret}", {"password": p, "confirm": p}
                )
                for p in passwords
            ]
        )
        assert all(a.status != 500 for a in answers), [a.status for a in answers]
        worked = [p for p, a in zip(passwords, answers, strict=True) if a.status == 302]
        assert len(worked) == 1, [a.status for a in answers]
        outcomes.append(worked[0])
        later = request(
            base, "POST", f"/set-password/{secret}", {"password": "third x long 99", "confirm": "third x long 99"}
        )
        assert later.status == 404
    with app.app_context():
        events = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.password_set")
        )
        assert events == 10
    assert Browser(base).sign_in("trainee0", outcomes[-1]).status == 302


def test_login_page_names_the_wait(room):
    _app, base, _world = room
    for n in range(throttle.FREE_FAILURES):
        request(base, "POST", "/login", {"login": "trainee9", "password": f"x{n}"}, headers=WIFI)
    answer = request(base, "POST", "/login", {"login": "trainee9", "password": "y"}, headers=WIFI)
    assert answer.status == 429
    assert re.search(r"Wait \d+ seconds", answer.body)


def test_replayed_cookies_after_sign_out_with_the_test_client(tmp_path):
    """The same guarantee through Flask's test client: copy the cookies, sign out, put them back."""
    with database(KIND, tmp_path) as url:
        app = build_app(url, tmp_path, RATELIMIT_ENABLED=False)
        seed(app, trainees=1)
        client = app.test_client()
        client.post("/login", data={"login": "trainee0", "password": PASSWORD, "remember": "y"})
        assert client.get("/en/journal").status_code == 200
        saved = {name: client.get_cookie(name).value for name in ("session", "remember_token")}
        assert client.post("/logout").status_code == 302
        thief = app.test_client()
        for name, value in saved.items():
            thief.set_cookie(name, value)
        answer = thief.get("/en/journal")
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
