"""Bad input never reaches the database: control characters, out-of-range dates and ids, invisible
and direction-reversing names. Each gets a message naming the field (or line and column), never a 500.

Runs on SQLite, and on PostgreSQL (which refuses NUL in text) with PEERPATH_TEST_DATABASE=postgresql.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from training.extensions import db

from .live_server import PASSWORD, build_app, database, seed

KIND = "postgresql" if os.environ.get("PEERPATH_TEST_DATABASE") == "postgresql" else "sqlite"
HUGE = str(2**70)


@pytest.fixture
def site(tmp_path):
    """(app, world) on a fresh database; the test client goes through the whole app."""
    with database(KIND, tmp_path) as url:
        app = build_app(url, tmp_path, RATELIMIT_ENABLED=False)
        world = seed(app, trainees=2)
        yield app, world
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def client_as(app, login: str | None):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    if login:
        assert client.post("/login", data={"login": login, "password": PASSWORD}).status_code == 302
    return client


def _users(app, *where) -> int:
    from training.accounts.models import User

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User).where(*where))


CONTROL = "Remove the invisible control characters from this text."


def test_nul_in_sign_in_is_a_field_message(site):
    app, _world = site
    client = client_as(app, None)
    for data in ({"login": "trainee0\x00", "password": PASSWORD}, {"login": "trainee0", "password": "x\x00y"}):
        answer = client.post("/login", data=data)
        assert answer.status_code == 200
        assert CONTROL in answer.get_data(as_text=True)


def test_nul_in_verify_code_is_not_found(site):
    app, _world = site
    client = client_as(app, None)
    assert client.get("/verify/AAAA%00BBBB").status_code == 404


def test_control_characters_in_query_strings_are_refused_with_a_message(site):
    app, _world = site
    client = client_as(app, "coord")
    for url in ("/manage/users/?role=%00", "/audit?action=x%00y", "/verify?code=AB%01CD"):
        answer = client.get(url)
        assert answer.status_code == 400, url
        assert "invisible control characters" in answer.get_data(as_text=True)


def test_nul_in_names_is_refused_and_nothing_is_stored(site):
    app, world = site
    client = client_as(app, "coord")
    answer = client.post(
        "/manage/users/new", data={"name": "Ann\x00e", "login": "anne1", "role": "trainer", "site": "elbtal"}
    )
    assert answer.status_code == 200 and CONTROL in answer.get_data(as_text=True)
    answer = client_as(app, "trainer").post(
        f"/cohorts/{world.cohort_id}/trainees/new", data={"name": "Bob\x07", "email": "", "login": "bob1"}
    )
    assert answer.status_code == 200 and CONTROL in answer.get_data(as_text=True)
    answer = client_as(app, None).post(
        "/join", data={"code": "LIVE2345\x00", "name": "C", "login": "cee1", "password": "long pass 12345"}
    )
    assert answer.status_code == 200 and CONTROL in answer.get_data(as_text=True)
    assert _users(app) == 4


def test_names_of_invisible_characters_only_are_refused(site):
    app, world = site
    client = client_as(app, "trainer")
    for name in ("\u200b\u200b", " \u200b \u2060 ", "\u202e\u200d"):
        answer = client.post(f"/cohorts/{world.cohort_id}/trainees/new", data={"name": name, "email": "", "login": ""})
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
        assert (
            "Enter a name with visible letters." in html or "Enter a name." in html or "This field is required." in html
        )
    assert _users(app) == 4


def test_direction_overrides_are_stripped_from_names_and_from_pages(site):
    from training.accounts.models import User

    app, world = site
    client = client_as(app, "trainer")
    answer = client.post(
        f"/cohorts/{world.cohort_id}/trainees/new", data={"name": "Eve \u202egnp.exe", "email": "", "login": "eve1"}
    )
    assert answer.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.login == "eve1")) == "Eve gnp.exe"
        # A name stored before this rule (or by another route) still prints without the override.
        db.session.get(User, world.trainee_ids[0]).name = "Mal\u202eicious\u2066"
        db.session.commit()
    client = client_as(app, "coord")
    html = client.get("/manage/users/").get_data(as_text=True)
    assert "Malicious" in html and "\u202e" not in html and "\u2066" not in html
    css = client.get("/static/css/site.css")
    assert "unicode-bidi: isolate" in css.get_data(as_text=True)
    css.close()


def test_journal_refuses_control_characters_but_keeps_tabs_and_lines(site):
    from training.learning.models import Reflection

    app, _world = site
    client = client_as(app, "trainee0")
    answer = client.post("/en/modules/peer-role/journal", data={"prompt": "", "body": "mine\x00"})
    assert answer.status_code == 200 and CONTROL in answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reflection)) == 0
    ok = client.post("/en/modules/peer-role/journal", data={"prompt": "", "body": "line one\r\n\tline two"})
    assert ok.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Reflection.body)) == "line one\n\tline two"


def test_csv_import_names_line_and_column_of_control_characters(site):
    from training.paper.csvfile import read_table

    data = b"login,competency\ntrainee0,B2\ntrainee1\x00,B2\n"
    table = read_table(data, ("login", "competency"))
    assert [line for line, _ in table.problems] == [3]
    assert "login" in table.problems[0][1] and "control characters" in table.problems[0][1]
    assert [line for line, _ in table.rows] == [2]


def test_csv_upload_with_nul_is_a_named_problem_not_a_500(site):
    import io

    app, world = site
    client = client_as(app, "trainer")
    with app.app_context():
        rules = [r.rule for r in app.url_map.iter_rules() if "import" in r.rule and "paper" in r.endpoint]
    assert rules
    csv_bytes = b"login,competency,evidence_kind,level,observed_on\ntrainee0\x00,B2,skill,2,2026-11-01\n"
    for rule in rules:
        url = rule.replace("<int:cohort_id>", str(world.cohort_id))
        if "<" in url:
            continue
        answer = client.post(url, data={"file": (io.BytesIO(csv_bytes), "x.csv")}, content_type="multipart/form-data")
        assert answer.status_code != 500, url


def test_out_of_range_dates_are_form_errors(site):
    app, world = site
    client = client_as(app, "coord")
    answer = client.get("/audit?to=9999-12-31&from=0001-01-01")
    assert answer.status_code == 200
    assert "Enter a date between 1900 and 2199." in answer.get_data(as_text=True)
    answer = client.post(
        f"/cohorts/{world.cohort_id}/workshops", data={"title": "Far", "held_on": "9999-12-31", "place": ""}
    )
    assert answer.status_code == 200 and "Enter a date between 1900 and 2199." in answer.get_data(as_text=True)


def test_huge_ids_in_urls_forms_and_query_strings_are_404_or_form_errors(site):
    app, world = site
    client = client_as(app, "coord")
    assert client.get(f"/cohorts/{HUGE}/").status_code == 404
    assert client.get(f"/manage/users/{HUGE}").status_code == 404
    assert client.post(f"/cohorts/{world.cohort_id}/enrol", data={"enrol-trainee": HUGE}).status_code in (200, 404)
    assert client.get(f"/audit?actor={HUGE}").status_code == 200
    url = f"/cohorts/{world.cohort_id}/workshops"
    assert client.post(url, data={"title": "W", "held_on": "2026-11-01", "place": ""}).status_code == 302
    from training.cohorts.models import Workshop

    with app.app_context():
        workshop_id = db.session.scalar(select(Workshop.id))
    answer = client.post(f"/cohorts/{world.cohort_id}/workshops/{workshop_id}/attendance", data={"present": [HUGE]})
    assert answer.status_code in (200, 302)


def test_site_ids_with_quotes_or_line_breaks_never_reach_a_header(tmp_path):
    with database(KIND, tmp_path) as url:
        app = build_app(url, tmp_path, RATELIMIT_ENABLED=False)
        from training.accounts.models import Role, User
        from training.accounts.passwords import hash_password

        with app.app_context():
            db.session.add(User(login="admin", name="Admin", role=Role.ADMIN, password_hash=hash_password(PASSWORD)))
            db.session.commit()
        client = client_as(app, "admin")
        for site_id in ('elbtal"; x="', "elbtal%0D%0ASet-Cookie:%20a=b", "nowhere"):
            answer = client.get(f"/sites/{site_id}/assessments.csv")
            assert answer.status_code == 404, site_id
            assert "Set-Cookie" not in str(answer.headers.get("Content-Disposition"))
        assert client.get("/sites/elbtal/assessments.csv").status_code == 200
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_direction_overrides_never_reach_a_certificate_pdf(site, tmp_path):
    """A name stored with an override (before names were cleaned) prints in its own order in the PDF."""
    import io

    from pypdf import PdfReader

    from training.assessments.models import Certificate

    app, world = site
    with app.app_context():
        certificate = Certificate(
            code="BIDI-TEST-0001",
            trainee_id=world.trainee_ids[0],
            site_id="elbtal",
            language="en",
            trainee_name="Ann \u202eXYZ\u202c Smith",
            issued_by_id=world.coordinator_id,
            trainer_id=world.trainer_id,
            competencies=[],
            basis=[],
        )
        db.session.add(certificate)
        db.session.commit()
        certificate_id = certificate.id
    answer = client_as(app, "coord").get(f"/certificates/{certificate_id}.pdf")
    assert answer.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages)
    assert "Ann XYZ Smith" in text
    assert not any(c in text for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
