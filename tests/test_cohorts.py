"""Cohorts: the trainer's grid, CSV, enrolment, join codes, and constant query counts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from training.accounts.models import Role, User
from training.cohorts.models import Cohort, Enrolment
from training.extensions import db
from training.learning.models import SectionProgress

from .conftest import PASSWORD, login, make_user
from .pages import texts


def test_trainer_grid_and_sorting(client, app, people):
    with app.app_context():
        store = app.extensions["curriculum"]
        sections = store.module("peer-role", "de").section_ids
        for section in sections:
            db.session.add(
                SectionProgress(
                    user_id=people.trainee.id,
                    module="peer-role",
                    section=section,
                    language="de",
                    revision="x",
                    completed_at=datetime.now(UTC),
                )
            )
        extra = make_user("zed", Role.TRAINEE, "elbtal", name="Zed Zulu")
        db.session.add(Enrolment(cohort_id=people.cohort_id, user_id=extra.id))
        db.session.commit()
    login(client, people.trainer)

    def rows(query: str = "") -> list[str]:
        return texts(client.get(f"/cohorts/{people.cohort_id}/{query}").get_data(as_text=True), "th", scope="row")

    assert rows() == ["Trainee", "Zed Zulu"]  # by name
    assert rows("?sort=name&dir=desc") == ["Zed Zulu", "Trainee"]
    # The trainee has done every section of a module, Zed Zulu nothing yet.
    assert rows("?sort=progress&dir=desc") == ["Trainee", "Zed Zulu"]
    assert rows("?sort=progress&dir=asc") == ["Zed Zulu", "Trainee"]


def test_cohort_progress_csv(client, app, people):
    with app.app_context():
        db.session.add(
            SectionProgress(
                user_id=people.trainee.id,
                module="peer-role",
                section="starting-together",
                language="de",
                revision="x",
                completed_at=datetime(2026, 10, 1, tzinfo=UTC),
            )
        )
        db.session.commit()
    login(client, people.trainer)
    response = client.get(f"/cohorts/{people.cohort_id}/progress.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["login"] == "trainee" and rows[0]["peer-role_percent"] == "20"
    assert rows[0]["last_activity_utc"].startswith("2026-10-01")


def test_trainer_adds_trainee_who_gets_a_link(client, app, people):
    login(client, people.trainer)
    response = client.post(f"/cohorts/{people.cohort_id}/trainees/new", data={"name": "Olu Obi"})
    html = response.get_data(as_text=True)
    assert "/set-password/" in html and "olu.obi." in html
    with app.app_context():
        user = db.session.query(User).filter(User.name == "Olu Obi").one()
        assert user.role == Role.TRAINEE and user.site_id == "elbtal" and user.language == "de"
        assert db.session.get(Enrolment, (people.cohort_id, user.id)) is not None


def test_join_with_code_as_signed_in_trainee_and_as_newcomer(client, app, people):
    login(client, people.other_trainee)
    response = client.post("/join", data={"code": "abcd 2345"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Enrolment, (people.cohort_id, people.other_trainee.id)) is not None
    client.post("/logout")
    newcomer = app.test_client()
    bad = newcomer.post("/join", data={"code": "WRONG123", "name": "Ana", "login": "ana", "password": PASSWORD})
    assert "No open cohort has this code." in bad.get_data(as_text=True)
    ok = newcomer.post("/join", data={"code": "ABCD2345", "name": "Ana", "login": "ana", "password": PASSWORD})
    assert ok.status_code == 302 and ok.headers["Location"] == "/de/"
    with app.app_context():
        ana = db.session.query(User).filter_by(login="ana").one()
        assert ana.site_id == "elbtal" and db.session.get(Enrolment, (people.cohort_id, ana.id)) is not None


def test_foreign_site_trainee_cannot_join(client, app, people):
    login(client, people.foreign_trainee)
    response = client.post("/join", data={"code": "ABCD2345"})
    assert "Only trainees of this site can join this cohort." in response.get_data(as_text=True)


def test_coordinator_creates_and_edits_cohort(client, app, people):
    login(client, people.coordinator)
    response = client.post(
        "/cohorts/new",
        data={
            "site": "elbtal",
            "name": "Herbst",
            "language": "de",
            "start_date": "2026-10-01",
            "end_date": "2026-09-01",
            "trainers": [str(people.trainer.id)],
        },
    )
    assert "The end date is before the start date." in response.get_data(as_text=True)
    response = client.post(
        "/cohorts/new",
        data={
            "site": "elbtal",
            "name": "Herbst",
            "language": "de",
            "start_date": "2026-10-01",
            "trainers": [str(people.trainer.id)],
        },
    )
    assert response.status_code == 302
    with app.app_context():
        cohort = db.session.query(Cohort).filter_by(name="Herbst").one()
        assert [t.login for t in cohort.trainers] == ["trainer"] and len(cohort.join_code) == 8
        cohort_id = cohort.id
    foreign = client.post("/cohorts/new", data={"site": "galil", "name": "X", "language": "he"})
    assert foreign.status_code == 404
    bad_trainer = client.post(
        f"/cohorts/{cohort_id}/edit",
        data={"name": "Herbst", "language": "de", "trainers": [str(people.foreign_trainer.id)]},
    )
    assert bad_trainer.status_code == 200  # not a valid choice: form shown again
    with app.app_context():
        assert [t.login for t in db.session.get(Cohort, cohort_id).trainers] == ["trainer"]


def test_new_join_code_invalidates_old(client, app, people):
    login(client, people.trainer)
    client.post(f"/cohorts/{people.cohort_id}/code")
    with app.app_context():
        assert db.session.get(Cohort, people.cohort_id).join_code != "ABCD2345"


def _cohort_with(app, size: int, site: str) -> tuple[int, str]:
    with app.app_context():
        store = app.extensions["curriculum"]
        trainer = make_user(f"t-{size}", Role.TRAINER, site)
        cohort = Cohort(site_id=site, name=f"Size {size}", language="de", join_code=f"SIZE{size:04d}")
        cohort.trainers = [trainer]
        db.session.add(cohort)
        db.session.flush()
        views = store.modules("de", site)
        now = datetime.now(UTC)
        for n in range(size):
            user = User(login=f"s{size}-{n}", name=f"Person {n}", role=Role.TRAINEE, site_id=site)
            db.session.add(user)
            db.session.flush()
            db.session.add(Enrolment(cohort_id=cohort.id, user_id=user.id))
            for view in views[: n % 4]:
                for section in view.section_ids[:2]:
                    db.session.add(
                        SectionProgress(
                            user_id=user.id,
                            module=view.slug,
                            section=section,
                            language="de",
                            revision="r",
                            completed_at=now - timedelta(minutes=n),
                        )
                    )
        db.session.commit()
        return cohort.id, trainer.login


def test_dashboard_query_count_does_not_grow_with_cohort_size(app, count_queries):
    counts = []
    for size in (5, 200):
        cohort_id, trainer = _cohort_with(app, size, "elbtal")
        client = app.test_client()
        login(client, trainer)
        with count_queries() as queries:
            response = client.get(f"/cohorts/{cohort_id}/")
        assert response.status_code == 200
        counts.append(queries.count)
        assert response.get_data(as_text=True).count('<th scope="row">') == size
    assert 0 < counts[0] == counts[1], counts


def test_workshop_attendance_and_printable_register(client, app, people, tmp_path):
    import subprocess

    from training.cohorts.models import Attendance

    login(client, people.trainer)
    response = client.post(
        f"/cohorts/{people.cohort_id}/workshops",
        data={"title": "Zuhören", "held_on": "2026-11-03", "place": "Raum 2", "modules": ["communication"]},
    )
    assert response.status_code == 302
    assert client.post(f"/cohorts/{people.cohort_id}/workshops", data={"title": "", "held_on": ""}).status_code == 200
    client.post(f"/cohorts/{people.cohort_id}/workshops/1/attendance", data={"present": [str(people.trainee.id)]})
    assert (
        client.post(
            f"/cohorts/{people.cohort_id}/workshops/1/attendance", data={"present": [str(people.foreign_trainee.id)]}
        ).status_code
        == 200
    )  # not in this cohort
    with app.app_context():
        assert [a.user_id for a in db.session.query(Attendance).all()] == [people.trainee.id]
    pdf = client.get(f"/cohorts/{people.cohort_id}/workshops/1/register.pdf")
    assert pdf.mimetype == "application/pdf"
    (tmp_path / "r.pdf").write_bytes(pdf.data)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Zuhören" in text and people.trainee.name in text and "Gesprächsführung" in text
    assert client.get(f"/cohorts/{people.other_cohort_id}/workshops/1/register.pdf").status_code == 404
