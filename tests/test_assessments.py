"""Competency assessments: achievement rules, append-only records, safety flags, refreshers, grid, CSV."""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import shutil
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from training.accounts.models import Role, User
from training.assessments import services
from training.assessments.levels import suggest_level
from training.assessments.models import Assessment, Certificate, Revocation, SafetyFlag
from training.assessments.status import competency_status, refresher_list
from training.cohorts.models import Cohort, Enrolment
from training.curriculum import Competency
from training.errors import InvalidInput, NotFoundError
from training.extensions import db

from .conftest import REAL_CURRICULUM, login, make_app, make_certificate, make_user

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


def competency(kinds: tuple[str, ...]) -> Competency:
    return Competency(
        id="X1",
        domain="X",
        evidence_kinds=kinds,
        title="X",
        description="",
        evidence="",
        scenarios=(),
        checklist=(),
        modules=(),
        lang="en",
    )


def event_(kind: str, level: int, day: int, revoked: bool = False) -> Assessment:
    a = Assessment(
        competency="X1",
        evidence_kind=kind,
        level=level,
        observed_on=date(2026, 10, day),
        created_at=T0 + timedelta(days=day),
    )
    a.revocation = Revocation(reason="mistake") if revoked else None
    return a


# Per evidence kind, a history and the level that should count (None: nothing valid).
HISTORIES = {
    "none": ([], None),
    "l0": ([(0, 1, False)], 0),
    "l1": ([(1, 1, False)], 1),
    "l2": ([(2, 1, False)], 2),
    "l3": ([(3, 1, False)], 3),
    "l3-revoked": ([(3, 1, True)], None),
    "l2-then-l1": ([(2, 1, False), (1, 5, False)], 1),  # the latest counts, even when lower
    "l1-then-l3-revoked": ([(1, 1, False), (3, 5, True)], 1),
    "l0-then-l2": ([(0, 1, False), (2, 5, False)], 2),
    "l2-then-l0-revoked": ([(2, 1, False), (0, 5, True)], 2),
}


@pytest.mark.parametrize(
    "kinds",
    [
        ("knowledge",),
        ("skill",),
        ("practice",),
        ("knowledge", "skill"),
        ("skill", "practice"),
        ("knowledge", "practice"),
        ("knowledge", "skill", "practice"),
    ],
)
def test_achievement_for_every_combination(kinds):
    comp = competency(kinds)
    checked = 0
    for combo in itertools.product(HISTORIES, repeat=len(kinds)):
        events, expected_levels = [], {}
        for kind, name in zip(kinds, combo, strict=True):
            history, counted = HISTORIES[name]
            events += [event_(kind, level, day, revoked) for level, day, revoked in history]
            expected_levels[kind] = counted
        # An assessment of a kind the competency does not need never counts.
        events.append(
            event_(
                "knowledge" if "knowledge" not in kinds else "practice" if "practice" not in kinds else "skill", 3, 2
            )
            if len(kinds) < 3
            else event_("skill", 0, 2, revoked=True)
        )
        status = competency_status(comp, events, [])
        expected = all(level is not None and level >= 2 for level in expected_levels.values())
        assert status.achieved is expected, (kinds, combo)
        assert {k: a.level for k, a in status.latest.items() if k in kinds} == {
            k: v for k, v in expected_levels.items() if v is not None
        }, (kinds, combo)
        assert set(status.missing) == {k for k, v in expected_levels.items() if v is None}
        assert set(status.below) == {k for k, v in expected_levels.items() if v is not None and v < 2}
        checked += 1
    assert checked == len(HISTORIES) ** len(kinds)


def test_same_day_assessments_are_ordered_by_recording_time():
    comp = competency(("skill",))
    first = event_("skill", 3, 3)
    second = event_("skill", 1, 3)
    second.created_at = first.created_at + timedelta(hours=1)
    assert competency_status(comp, [second, first], []).latest["skill"] is second


def test_suggested_level_from_checklist(app):
    with app.app_context():
        b2 = app.extensions["curriculum"].framework("en").get("B2")
    helpful = [i.id for i in b2.checklist if not i.harmful]
    harmful = [i.id for i in b2.checklist if i.harmful]
    assert suggest_level(b2, helpful) == 3
    assert suggest_level(b2, helpful + harmful[:1]) == 0
    assert suggest_level(b2, helpful[: -(-len(helpful) * 6 // 10)]) == 2  # at least 60 %
    assert suggest_level(b2, helpful[:1]) == 1
    assert suggest_level(b2, []) == 1


@pytest.fixture
def world(app, people):
    """The trainer of cohort A assesses its trainee in German."""
    return people


def record(
    app,
    people,
    *,
    level=2,
    kind="skill",
    competency="B2",
    assessor=None,
    trainee=None,
    cohort=None,
    submission=None,
    observed=None,
    now=None,
):
    observed = observed or (now.date() if now else date(2026, 11, 1))
    with app.app_context():
        actor = db.session.get(User, (assessor or people.trainer).id)
        a = services.record_assessment(
            actor,
            app.extensions["curriculum"],
            cohort=db.session.get(Cohort, cohort or people.cohort_id),
            trainee=db.session.get(User, (trainee or people.trainee).id),
            competency_id=competency,
            evidence_kind=kind,
            level=level,
            observed_on=observed,
            note="",
            submission_id=submission or os.urandom(8).hex(),
            now=now,
        )
        db.session.commit()
        return a.id


def test_record_keeps_language_and_content_revision(app, people):
    aid = record(app, people)
    with app.app_context():
        a = db.session.get(Assessment, aid)
        assert a.language == "de" and len(a.content_revision) == 12 and a.site_id == "elbtal"
        assert a.assessor_id == people.trainer.id and a.created_at.tzinfo is not None


def test_double_submission_creates_one_record(app, people, client):
    login(client, people.trainer)
    data = {
        "competency": "B2",
        "submission_id": "abc123",
        "evidence_kind": "skill",
        "level": "2",
        "observed_on": "2026-11-01",
        "action": "save",
    }
    url = f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/assess?competency=B2"
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        assert db.session.query(Assessment).count() == 1


def test_form_errors_are_named(app, people, client):
    login(client, people.trainer)
    url = f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/assess?competency=B2"
    html = client.post(
        url,
        data={
            "competency": "B2",
            "submission_id": "s1",
            "evidence_kind": "skill",
            "observed_on": "2026-11-01",
            "action": "save",
        },
    ).get_data(as_text=True)
    assert "Choose a level." in html
    future = (date.today() + timedelta(days=5)).isoformat()
    html = client.post(
        url,
        data={
            "competency": "B2",
            "submission_id": "s2",
            "evidence_kind": "skill",
            "level": "2",
            "observed_on": future,
            "action": "save",
        },
    ).get_data(as_text=True)
    assert "The date cannot be in the future." in html
    html = client.post(
        url,
        data={
            "competency": "B2",
            "submission_id": "s3",
            "evidence_kind": "practice",
            "level": "2",
            "observed_on": "2026-11-01",
            "action": "save",
        },
    ).get_data(as_text=True)
    assert re.search(r'value="skill"> [^<]*</label>\s*<p class="field-error">', html)  # beside the field
    with app.app_context():
        assert db.session.query(Assessment).count() == 0


def test_who_may_assess(app, people):
    with pytest.raises(NotFoundError):
        record(app, people, assessor=people.other_trainer)  # not a trainer of this cohort
    with pytest.raises(NotFoundError):
        record(app, people, assessor=people.coordinator)  # coordinates the site but does not train the cohort
    with pytest.raises(NotFoundError):
        record(app, people, assessor=people.trainee, trainee=people.trainee)  # nobody assesses themselves
    with pytest.raises(NotFoundError):
        record(app, people, trainee=people.other_trainee)  # not in the cohort
    with pytest.raises(NotFoundError):
        record(app, people, assessor=people.trainee, trainee=people.other_trainee)  # trainees never assess
    with pytest.raises(InvalidInput):
        record(app, people, competency="Z9")
    with pytest.raises(InvalidInput):
        record(app, people, competency="B2", kind="practice")  # B2 needs observed skill only


def test_trainer_cannot_assess_themselves_even_when_enrolled(app, people):
    with app.app_context():
        trainer = db.session.get(User, people.trainer.id)
        trainer.role = Role.TRAINEE  # a role change cannot make self-assessment possible
        db.session.add(Enrolment(cohort_id=people.cohort_id, user_id=trainer.id))
        db.session.commit()
    with pytest.raises(NotFoundError):
        record(app, people, trainee=people.trainer)


def test_records_are_append_only_in_the_database(app, people):
    aid = record(app, people)
    with app.app_context():
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text("UPDATE assessments SET level = 3 WHERE id = :id"), {"id": aid})
        db.session.rollback()
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(text("DELETE FROM assessments WHERE id = :id"), {"id": aid})
        db.session.rollback()
        assert db.session.get(Assessment, aid).level == 2


def test_revocation_needs_reason_and_removes_achievement(app, people):
    aid = record(app, people, level=3)
    with app.app_context():
        actor = db.session.get(User, people.trainer.id)
        a = db.session.get(Assessment, aid)
        with pytest.raises(InvalidInput):
            services.revoke_assessment(actor, a, "  ")
        with pytest.raises(NotFoundError):
            services.revoke_assessment(db.session.get(User, people.other_trainer.id), a, "not mine to revoke")
        b2 = app.extensions["curriculum"].framework("en").get("B2")
        before = competency_status(b2, services.assessments_of([people.trainee.id])[people.trainee.id], [])
        assert before.achieved and before.latest["skill"].id == aid
        services.revoke_assessment(actor, a, "Recorded for the wrong trainee")
        db.session.commit()
        revocation = db.session.query(Revocation).one()
        assert (revocation.assessment_id, revocation.revoked_by_id, revocation.reason) == (
            aid,
            people.trainer.id,
            "Recorded for the wrong trainee",
        )
        with pytest.raises(InvalidInput):
            services.revoke_assessment(actor, db.session.get(Assessment, aid), "twice is not allowed")
        db.session.rollback()
        assert db.session.query(Revocation).count() == 1
        status = competency_status(b2, services.assessments_of([people.trainee.id])[people.trainee.id], [])
        assert not status.achieved and status.missing == ("skill",) and len(status.history) == 1
        assert "skill" not in status.latest  # the revoked assessment is kept in the history but no longer counts


def test_coordinator_may_revoke(app, people):
    aid = record(app, people)
    with app.app_context():
        services.revoke_assessment(
            db.session.get(User, people.coordinator.id), db.session.get(Assessment, aid), "Assessor was not present"
        )
        db.session.commit()
        revocation = db.session.query(Revocation).one()
        assert (revocation.assessment_id, revocation.revoked_by_id, revocation.reason) == (
            aid,
            people.coordinator.id,
            "Assessor was not present",
        )
        b2 = app.extensions["curriculum"].framework("en").get("B2")
        status = competency_status(b2, services.assessments_of([people.trainee.id])[people.trainee.id], [])
        assert "skill" not in status.latest and status.missing == ("skill",)
        with pytest.raises(NotFoundError):
            services.revoke_assessment(
                db.session.get(User, people.foreign_coordinator.id), db.session.get(Assessment, aid), "Other site"
            )


def test_level_zero_raises_a_flag_that_stays_until_a_later_level_one_and_a_note(app, people, client):
    first = record(app, people, level=0, now=T0)
    record(app, people, level=0, now=T0 + timedelta(hours=1))  # a second level 0: still one flag
    with app.app_context():
        flags = db.session.query(SafetyFlag).all()
        assert len(flags) == 1 and flags[0].open and flags[0].raised_by_assessment_id == first
        actor = db.session.get(User, people.trainer.id)
        with pytest.raises(InvalidInput, match="later assessment"):
            services.close_flag(actor, flags[0], "Talked it through")
    login(client, people.coordinator)
    assert "⚠" in client.get("/overview").get_data(as_text=True)
    client.post("/logout")
    later = record(app, people, level=1, now=T0 + timedelta(days=2))
    with app.app_context():
        flag = db.session.query(SafetyFlag).one()
        actor = db.session.get(User, people.trainer.id)
        with pytest.raises(InvalidInput):
            services.close_flag(actor, flag, "")
        with pytest.raises(NotFoundError):
            services.close_flag(db.session.get(User, people.foreign_coordinator.id), flag, "Not my site at all")
        services.close_flag(actor, flag, "Practised again with support; safe now", now=T0 + timedelta(days=3))
        db.session.commit()
        flag = db.session.query(SafetyFlag).one()
        assert not flag.open and flag.closing_assessment_id == later and flag.closed_by_id == people.trainer.id


def test_a_revoked_later_assessment_does_not_close_a_flag(app, people):
    record(app, people, level=0, now=T0)
    later = record(app, people, level=2, now=T0 + timedelta(days=1))
    with app.app_context():
        actor = db.session.get(User, people.trainer.id)
        services.revoke_assessment(actor, db.session.get(Assessment, later), "Wrong person")
        db.session.commit()
        assert db.session.query(Revocation).filter_by(assessment_id=later).one().reason == "Wrong person"
        with pytest.raises(InvalidInput):
            services.close_flag(actor, db.session.query(SafetyFlag).one(), "Should not close")
        db.session.rollback()
        assert db.session.query(SafetyFlag).one().open


def test_timestamps_are_shown_in_the_site_time_zone(app, people, client):
    record(app, people, now=datetime(2026, 11, 1, 23, 30, tzinfo=UTC))  # 00:30 on 2 November in Berlin
    login(client, people.trainer)
    html = client.get(f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/competencies").get_data(as_text=True)
    assert "Nov 2, 2026, 12:30:00\u202fAM" in html, re.findall(r"\d[\d.:, ]+\d", html)[:5]


def test_competency_grid_constant_queries(app, count_queries):
    from .test_cohorts import _cohort_with

    counts = []
    for size in (5, 200):
        cohort_id, trainer_login = _cohort_with(app, size, "elbtal")
        with app.app_context():
            cohort = db.session.get(Cohort, cohort_id)
            trainer = cohort.trainers[0]
            trainees = [e.user_id for e in cohort.enrolments]
            for n, tid in enumerate(trainees):
                db.session.add(
                    Assessment(
                        trainee_id=tid,
                        assessor_id=trainer.id,
                        cohort_id=cohort_id,
                        site_id="elbtal",
                        competency="B2",
                        evidence_kind="skill",
                        level=n % 4,
                        observed_on=date(2026, 11, 1),
                        language="de",
                        content_revision="r",
                        submission_id=f"{size}-{n}",
                        created_at=T0,
                    )
                )
            db.session.commit()
        client = app.test_client()
        login(client, trainer_login)
        with count_queries() as queries:
            response = client.get(f"/cohorts/{cohort_id}/competencies")
        assert response.status_code == 200
        counts.append(queries.count)
        assert response.get_data(as_text=True).count('<tr id="t') == size
    assert 0 < counts[0] == counts[1], counts


def test_grid_cell_links_to_form_two_clicks(app, people, client):
    login(client, people.trainer)
    grid = client.get(f"/cohorts/{people.cohort_id}/competencies").get_data(as_text=True)
    link = f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/assess?competency=B2"
    assert f'href="{link}"' in grid
    form = client.get(link).get_data(as_text=True)
    assert 'name="checklist"' in form and 'name="level"' in form


def test_assessment_csv_defuses_formulas(app, people, client):
    with app.app_context():
        actor = db.session.get(User, people.trainer.id)
        services.record_assessment(
            actor,
            app.extensions["curriculum"],
            cohort=db.session.get(Cohort, people.cohort_id),
            trainee=db.session.get(User, people.trainee.id),
            competency_id="B2",
            evidence_kind="skill",
            level=2,
            observed_on=date(2026, 11, 1),
            note='=HYPERLINK("http://x")',
            submission_id="csv1",
        )
        db.session.commit()
    login(client, people.trainer)
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/cohorts/{people.cohort_id}/assessments.csv").get_data(as_text=True)))
    )
    assert rows[0]["competency"] == "B2" and rows[0]["note"].startswith("'=")
    client.post("/logout")
    login(client, people.coordinator)
    assert client.get("/sites/elbtal/assessments.csv").status_code == 200
    assert client.get("/sites/galil/assessments.csv").status_code == 404


def test_audit_view_filters(app, people, client):
    aid = record(app, people, level=0)
    with app.app_context():
        services.revoke_assessment(
            db.session.get(User, people.trainer.id), db.session.get(Assessment, aid), "Mistake made"
        )
        db.session.commit()
    login(client, people.admin)
    html = client.get("/audit").get_data(as_text=True)
    assert "assessment.record" in html and "assessment.revoke" in html and "safety_flag.raise" in html
    only = client.get("/audit?action=assessment.revoke").get_data(as_text=True)
    assert "<td>assessment.revoke</td>" in only and "<td>assessment.record</td>" not in only
    assert "<td>assessment.record</td>" not in client.get("/audit?site=galil").get_data(as_text=True)
    assert "<td>assessment.record</td>" not in client.get("/audit?from=2099-01-01").get_data(as_text=True)
    assert "Dates are written like" in client.get("/audit?from=yesterday").get_data(as_text=True)
    client.post("/logout")
    login(client, people.foreign_coordinator)
    assert "<td>assessment.record</td>" not in client.get("/audit?site=elbtal").get_data(as_text=True)


def test_trainee_sees_own_record_with_missing_evidence_and_modules(app, people, client):
    record(app, people, level=1, competency="A1", kind="skill")
    login(client, people.trainee)
    html = client.get("/me/competencies").get_data(as_text=True)
    assert "0 of 16 competencies achieved." in html
    assert "not yet at level 2" in html and "not assessed yet" in html
    assert '/modules/peer-role/"' in html  # A1 links to the modules that develop it


def test_refresher_listed_when_a_safety_critical_section_changes(tmp_path, database_url):
    root = tmp_path / "curriculum"
    shutil.copytree(REAL_CURRICULUM, root)
    app = make_app(database_url, tmp_path, root)
    with app.app_context():
        from .conftest import People  # noqa: F401

        trainer = make_user("t", Role.TRAINER, "elbtal")
        trainee = make_user("s", Role.TRAINEE, "elbtal")
        cohort = Cohort(site_id="elbtal", name="C", language="de", join_code="REFR2345")
        cohort.trainers = [trainer]
        db.session.add(cohort)
        db.session.flush()
        db.session.add(Enrolment(cohort_id=cohort.id, user_id=trainee.id))
        store = app.extensions["curriculum"]
        for comp in ("C3", "B2"):
            services.record_assessment(
                trainer,
                store,
                cohort=cohort,
                trainee=trainee,
                competency_id=comp,
                evidence_kind="skill",
                level=2,
                observed_on=date(2026, 11, 1),
                submission_id=comp,
            )
        db.session.commit()
        framework = store.framework("en")
        by_trainee = services.assessments_of([trainee.id])
        assert refresher_list(store, "elbtal", framework, by_trainee) == []
        # A change outside the safety-critical sections does not call anyone back ...
        path = root / "modules/crisis-safety/en.md"
        text_ = path.read_text()
        later = time.time() + 10
        path.write_text(text_.replace("\n## ", "\nAn extra sentence in the introduction.\n\n## ", 1))
        os.utime(path, (later, later))
        assert refresher_list(store, "elbtal", framework, by_trainee) == []
        # ... a change to one does.
        marker = "{#asking-about-suicide}"
        assert marker in text_
        path.write_text(path.read_text().replace(marker, marker + "\n\nA new safety rule.\n", 1))
        os.utime(path, (later + 10, later + 10))
        entries = refresher_list(store, "elbtal", framework, by_trainee)
        assert [(e.trainee_id, e.competency) for e in entries] == [(trainee.id, "C3")]


def test_certificate_flagged_for_review_when_an_assessment_behind_it_is_revoked(app, people):
    aid = record(app, people)
    with app.app_context():
        make_certificate(people, competencies=["B2"], basis=[aid])
        db.session.commit()
        services.revoke_assessment(
            db.session.get(User, people.trainer.id), db.session.get(Assessment, aid), "Observed the wrong role-play"
        )
        db.session.commit()
        cert = db.session.query(Certificate).one()
        assert cert.needs_review and cert.review_reason == "Observed the wrong role-play" and cert.valid
