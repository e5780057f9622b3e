"""Regression tests for problems found in review: CSV formulas, proxies, caching, bad ids, certificates."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from training.accounts.models import Role, User
from training.cohorts.models import Attendance, Enrolment
from training.extensions import db
from training.learning.models import Reflection

from .conftest import login, make_app, make_certificate
from .pages import texts


def test_trainer_cannot_pull_a_trainee_from_another_cohort(app, people, client):
    login(client, people.trainer)
    page = client.get(f"/cohorts/{people.cohort_id}/trainees/new").get_data(as_text=True)
    assert people.other_trainee.login not in page  # trainers do not see the site's other trainees
    response = client.post(f"/cohorts/{people.cohort_id}/enrol", data={"enrol-trainee": people.other_trainee.id})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Enrolment, (people.cohort_id, people.other_trainee.id)) is None


def test_coordinator_trainer_sees_shared_reflections(app, people, client):
    with app.app_context():
        from training.cohorts.models import Cohort

        cohort = db.session.get(Cohort, people.cohort_id)
        cohort.trainers.append(db.session.get(User, people.coordinator.id))
        db.session.add(
            Reflection(user_id=people.trainee.id, module="peer-role", prompt="", body="Shared note", shared=True)
        )
        db.session.commit()
    login(client, people.coordinator)
    html = client.get(f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/").get_data(as_text=True)
    assert "Shared note" in html


def test_every_csv_cell_is_defused(app, people, client):
    with app.app_context():
        user = db.session.get(User, people.trainee.id)
        user.name = '=HYPERLINK("http://evil.example")'
        db.session.commit()
    login(client, people.trainer)
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/cohorts/{people.cohort_id}/progress.csv").get_data(as_text=True)))
    )
    assert rows[0]["name"].startswith("'=")
    client.post("/logout")
    login(client, people.trainee)
    client.post("/de/modules/peer-role/journal", data={"prompt": "", "body": "  +SUM(A1)"})
    text = client.get("/account/my-data.csv").get_data(as_text=True)
    assert "'  +SUM(A1)" in text and "'=HYPERLINK" in text


def test_proxy_headers_are_trusted_only_when_configured(database_url, tmp_path, people):
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "peerpath.example"}
    direct = make_app(database_url, tmp_path)
    client = direct.test_client()
    login(client, people.coordinator)
    html = client.post(
        "/manage/users/new", data={"name": "A B", "login": "ab1", "role": "trainer", "site": "elbtal"}, headers=headers
    ).get_data(as_text=True)
    assert "http://localhost/set-password/" in html
    proxied = make_app(database_url, tmp_path, PROXY_COUNT=1)
    client = proxied.test_client()
    login(client, people.coordinator)
    html = client.post(
        "/manage/users/new", data={"name": "C D", "login": "cd1", "role": "trainer", "site": "elbtal"}, headers=headers
    ).get_data(as_text=True)
    assert "https://peerpath.example/set-password/" in html


def test_rate_limit_counts_each_client_behind_a_proxy(database_url, tmp_path):
    app = make_app(database_url, tmp_path, PROXY_COUNT=1, RATELIMIT_ENABLED=True)
    client = app.test_client()
    from training.accounts.throttle import ADDRESS_FAILURES

    for n in range(ADDRESS_FAILURES):  # failed sign-ins only, each on another account
        client.post("/login", data={"login": f"x{n}", "password": "y"}, headers={"X-Forwarded-For": "198.51.100.1"})
    blocked = client.post("/login", data={"login": "x", "password": "y"}, headers={"X-Forwarded-For": "198.51.100.1"})
    other = client.post("/login", data={"login": "x", "password": "y"}, headers={"X-Forwarded-For": "198.51.100.2"})
    assert blocked.status_code == 429 and other.status_code == 200


def test_one_account_is_limited_across_addresses(database_url, tmp_path, people):
    app = make_app(database_url, tmp_path, PROXY_COUNT=1, RATELIMIT_ENABLED=True)
    client = app.test_client()
    codes = [
        client.post(
            "/login", data={"login": "trainee", "password": "wrong"}, headers={"X-Forwarded-For": f"198.51.100.{n}"}
        ).status_code
        for n in range(6)
    ]
    # Back-off after five failures wherever they come from (the owner's own phone is exempt:
    # test_field_sign_in.test_stranger_from_many_addresses_cannot_lock_the_owner_out).
    assert codes[:5] == [200] * 5 and codes[5] == 429


def test_personal_pages_are_not_cached(client, people):
    assert "no-store" not in client.get("/en/").headers.get("Cache-Control", "")
    login(client, people.trainee)
    assert client.get("/de/journal").headers["Cache-Control"] == "no-store"


def test_bad_ids_and_parameters_are_not_server_errors(app, client, people):
    login(client, people.admin)
    # An id too big for the database matches no route: the not-found page.
    missing = client.get("/cohorts/99999999999999999999999/")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)
    # A filter that is not a usable person id is left out: the whole audit log is shown.
    for url in ("/audit?actor=%C2%B2", "/audit?actor=999999999999999999999"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert texts(page.get_data(as_text=True), "h1") == ["Audit log: assessments, flags and certificates"]
    client.post("/logout")
    login(client, people.trainer)
    response = client.post(
        f"/cohorts/{people.cohort_id}/workshops",
        data={"title": "W", "held_on": "2026-11-01", "place": "", "modules": []},
    )
    assert response.status_code == 302
    assert client.post(f"/cohorts/{people.cohort_id}/workshops/1/attendance", data={"present": "²"}).status_code == 302
    with app.app_context():
        assert db.session.query(Attendance).count() == 0  # "²" is nobody


def test_language_redirect_keeps_query_without_errors(app, client, people):
    with app.app_context():
        db.session.get(User, people.trainee.id).language = "sw"
        db.session.commit()
    login(client, people.trainee)
    response = client.get("/en/modules/peer-role/?lang=x&slug=y&a=1")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sw/modules/peer-role/")


def test_revoked_certificate_is_not_served_to_its_holder(app, people, client):

    with app.app_context():
        make_certificate(people, revoked_at=datetime.now(UTC), revoke_reason="mistake")
        db.session.commit()
    login(client, people.trainee)
    assert client.get("/certificates/1.pdf").status_code == 404
    client.post("/logout")
    login(client, people.coordinator)
    assert client.get("/certificates/1.pdf").status_code == 200


def test_admin_cannot_give_a_site_role_without_a_site(app, people, client):
    with app.app_context():
        other_admin = User(login="admin2", name="Admin Two", role=Role.ADMIN, site_id=None)
        db.session.add(other_admin)
        db.session.commit()
        admin_id = other_admin.id
    login(client, people.admin)
    client.post(f"/manage/users/{admin_id}", data={"name": "Admin Two", "role": "coordinator", "active": "y"})
    with app.app_context():
        assert db.session.get(User, admin_id).role == Role.ADMIN


def test_demo_data_refused_in_production(database_url, tmp_path):
    app = make_app(database_url, tmp_path, PEERPATH_ENV="production")
    result = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 1 and "never loaded in production" in result.output
