"""Double taps on a slow link: the same POST twice at the same instant, against a live server.

Each test fires pairs of identical requests (threads released by one barrier) at a
threaded server on a real SQLite file or, with PEERPATH_TEST_DATABASE=postgresql,
a real PostgreSQL schema. Both answers must be the same redirect (never a 500) and
the database must hold exactly one record per pair.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from training.extensions import db

from .live_server import PASSWORD, Browser, at_once, build_app, database, double_tap, live_server, request, seed

PAIRS = 20
KIND = "postgresql" if os.environ.get("PEERPATH_TEST_DATABASE") == "postgresql" else "sqlite"


@pytest.fixture
def live(tmp_path):
    """(app, base URL, world) on a fresh database of the kind under test."""
    with database(KIND, tmp_path) as url:
        app = build_app(url, tmp_path, RATELIMIT_ENABLED=False)
        world = seed(app, trainees=2)
        with live_server(app) as base:
            yield app, base, world


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _same_redirect(a, b) -> None:
    assert (a.status, b.status) == (302, 302), (a.status, b.status, a.body[:300], b.body[:300])
    assert a.location == b.location


def _sections(app, n: int) -> list[tuple[str, str]]:
    with app.app_context():
        views = app.extensions["curriculum"].modules("en", None)
        found = [(v.slug, s) for v in views for s in v.section_ids]
    assert len(found) >= n
    return found[:n]


def _prompts(app, n: int) -> list[tuple[str, str]]:
    from training.learning.reflections import prompts_of

    with app.app_context():
        views = app.extensions["curriculum"].modules("en", None)
        found = [(v.slug, "") for v in views] + [(v.slug, p) for v in views for p, _ in prompts_of(v)]
    assert len(found) >= n
    return found[:n]


def test_double_tap_mark_done_gives_one_record_and_no_500(live):
    from training.learning.models import SectionProgress

    app, base, world = live
    phone = Browser(base)
    assert phone.sign_in("trainee0", PASSWORD).status == 302
    for slug, section in _sections(app, PAIRS):
        a, b = double_tap(phone, f"/en/modules/{slug}/sections/{section}/done", {"done": "1"})
        _same_redirect(a, b)
    assert _count(app, SectionProgress, SectionProgress.user_id == world.trainee_ids[0]) == PAIRS


def test_double_tap_first_journal_save_gives_one_entry_and_no_500(live):
    from training.learning.models import Reflection

    app, base, world = live
    phone = Browser(base)
    assert phone.sign_in("trainee0", PASSWORD).status == 302
    for slug, prompt in _prompts(app, PAIRS):
        a, b = double_tap(phone, f"/en/modules/{slug}/journal", {"prompt": prompt, "body": "Mine.\nSecond line."})
        _same_redirect(a, b)
    assert _count(app, Reflection, Reflection.user_id == world.trainee_ids[0]) == PAIRS


def test_double_tap_assessment_form_gives_one_record_and_no_500(live):
    from training.assessments.models import Assessment

    app, base, world = live
    trainer = Browser(base)
    assert trainer.sign_in("trainer", PASSWORD).status == 302
    trainee = world.trainee_ids[0]
    url = f"/cohorts/{world.cohort_id}/trainees/{trainee}/assess?competency=B2"
    for n in range(PAIRS):
        form = {
            "competency": "B2",
            "submission_id": f"tap-{n}",
            "evidence_kind": "skill",
            "level": "2",
            "observed_on": "2026-11-01",
            "action": "save",
        }
        a, b = double_tap(trainer, url, form)
        _same_redirect(a, b)
    assert _count(app, Assessment) == PAIRS


def test_concurrent_level0_ratings_raise_one_open_flag(live):
    """Two trainers' level-0 ratings (different forms) at the same instant: one open flag, no 500."""
    from training.assessments.models import Assessment, SafetyFlag

    app, base, world = live
    trainer = Browser(base)
    assert trainer.sign_in("trainer", PASSWORD).status == 302
    trainee = world.trainee_ids[0]
    url = f"/cohorts/{world.cohort_id}/trainees/{trainee}/assess?competency=B2"
    for n in range(PAIRS // 2):

        def post(tag: str, n: int = n):
            form = {
                "competency": "B2",
                "submission_id": f"zero-{n}-{tag}",
                "evidence_kind": "skill",
                "level": "0",
                "observed_on": "2026-11-01",
                "action": "save",
            }
            return request(base, "POST", url, form, dict(trainer.cookies))

        a, b = at_once([lambda: post("a"), lambda: post("b")])
        _same_redirect(a, b)
    assert _count(app, Assessment) == PAIRS
    assert _count(app, SafetyFlag, SafetyFlag.closed_at.is_(None), SafetyFlag.trainee_id == trainee) == 1


# The audit: every other state-changing form, tapped twice at once.


def _no_500_same_answer(a, b) -> None:
    assert 500 not in (a.status, b.status), (a.status, b.status, a.body[:300], b.body[:300])
    assert a.status == b.status, (a.status, b.status, a.body[:300], b.body[:300])
    if a.status == 302:
        assert a.location == b.location


def _assess(app, world, trainee_id: int, competency: str, level: int, submission: str) -> int:
    from datetime import date

    from training.accounts.models import User
    from training.assessments import services
    from training.cohorts.models import Cohort

    with app.app_context():
        assessment = services.record_assessment(
            db.session.get(User, world.trainer_id),
            app.extensions["curriculum"],
            cohort=db.session.get(Cohort, world.cohort_id),
            trainee=db.session.get(User, trainee_id),
            competency_id=competency,
            evidence_kind=app.extensions["curriculum"].framework("en").get(competency).evidence_kinds[0],
            level=level,
            observed_on=date(2026, 11, 2),
            submission_id=submission,
        )
        db.session.commit()
        return assessment.id


def test_double_tap_attendance_workshop_enrol_and_new_trainee(live):
    from training.accounts.models import User
    from training.cohorts.models import Attendance, Enrolment, Workshop

    app, base, world = live
    coordinator = Browser(base)
    assert coordinator.sign_in("coord", PASSWORD).status == 302
    with app.app_context():
        from training.cohorts.models import Cohort

        cohort = db.session.get(Cohort, world.cohort_id)
        cohort.trainers.append(db.session.get(User, world.coordinator_id))
        other = Cohort(site_id="elbtal", name="Live B", language="en", join_code="OTHR2345")
        db.session.add(other)
        db.session.commit()
        other_id = world.cohort_id, other.id
    for n in range(5):
        form = {"title": f"Day {n}", "held_on": f"2026-11-0{n + 1}", "place": "Hall", "modules": ["peer-role"]}
        _no_500_same_answer(*double_tap(coordinator, f"/cohorts/{world.cohort_id}/workshops", form))
    assert _count(app, Workshop) == 5
    with app.app_context():
        workshop_id = db.session.scalar(select(Workshop.id).limit(1))
    url = f"/cohorts/{world.cohort_id}/workshops/{workshop_id}/attendance"
    for _ in range(5):
        _no_500_same_answer(*double_tap(coordinator, url, {"present": [str(i) for i in world.trainee_ids]}))
    assert _count(app, Attendance) == len(world.trainee_ids)
    for trainee_id in world.trainee_ids:
        answers = double_tap(coordinator, f"/cohorts/{other_id[1]}/enrol", {"enrol-trainee": str(trainee_id)})
        _no_500_same_answer(*answers)
    assert _count(app, Enrolment, Enrolment.cohort_id == other_id[1]) == len(world.trainee_ids)
    for n in range(5):
        form = {"name": f"New Person {n}", "email": "", "login": f"new.person{n}"}
        a, b = double_tap(coordinator, f"/cohorts/{world.cohort_id}/trainees/new", form)
        assert 500 not in (a.status, b.status), (a.status, b.status)
    assert _count(app, User, User.login.like("new.person%")) == 5
    for n in range(5):
        form = {"name": f"Auto Name {n}", "email": "", "login": ""}
        a, b = double_tap(coordinator, f"/cohorts/{world.cohort_id}/trainees/new", form)
        assert (a.status, b.status) == (200, 200), (a.status, b.status)
    assert _count(app, User, User.name.like("Auto Name%")) == 5  # not one account per tap


def test_double_tap_join_with_code(live):
    from training.accounts.models import User
    from training.cohorts.models import Enrolment

    app, base, world = live
    for n in range(5):
        form = {"code": "LIVE2345", "name": f"Joiner {n}", "login": f"joiner{n}", "password": "a long pass phrase 7"}
        _no_500_same_answer(*at_once([lambda form=form: request(base, "POST", "/join", form)] * 2))
    assert _count(app, User, User.login.like("joiner%")) == 5
    assert _count(app, Enrolment, Enrolment.cohort_id == world.cohort_id) == len(world.trainee_ids) + 5


def test_double_tap_revocations_flag_close_and_certificates(live):
    from training.assessments.models import Certificate, Revocation, SafetyFlag

    app, base, world = live
    trainee = world.trainee_ids[1]
    trainer = Browser(base)
    assert trainer.sign_in("trainer", PASSWORD).status == 302
    ids = [_assess(app, world, trainee, "B2", 2, f"rev-{n}") for n in range(5)]
    for assessment_id in ids:
        reason = {"reason": "Entered for the wrong person."}
        _no_500_same_answer(*double_tap(trainer, f"/assessments/{assessment_id}/revoke", reason))
    assert _count(app, Revocation) == 5
    _assess(app, world, trainee, "B1", 0, "flag-0")
    _assess(app, world, trainee, "B1", 1, "flag-1")
    with app.app_context():
        flag_id = db.session.scalar(select(SafetyFlag.id))
    a, b = double_tap(trainer, f"/flags/{flag_id}/close", {"reason": "Practised again; safe now."})
    _no_500_same_answer(a, b)
    with app.app_context():
        flag = db.session.get(SafetyFlag, flag_id)
        assert flag.closed_at is not None
    from training.audit import AuditEvent

    assert _count(app, AuditEvent, AuditEvent.action == "safety_flag.close") == 1
    store_ids = []
    with app.app_context():
        for competency in app.extensions["curriculum"].framework("en").competencies:
            store_ids.append(competency.id)
    for cid in store_ids:
        with app.app_context():
            kinds = app.extensions["curriculum"].framework("en").get(cid).evidence_kinds
        for kind in kinds:
            from datetime import date

            from training.accounts.models import User
            from training.assessments import services
            from training.cohorts.models import Cohort

            with app.app_context():
                services.record_assessment(
                    db.session.get(User, world.trainer_id),
                    app.extensions["curriculum"],
                    cohort=db.session.get(Cohort, world.cohort_id),
                    trainee=db.session.get(User, trainee),
                    competency_id=cid,
                    evidence_kind=kind,
                    level=2,
                    observed_on=date(2026, 11, 3),
                    submission_id=f"all-{cid}-{kind}",
                )
                db.session.commit()
    coordinator = Browser(base)
    assert coordinator.sign_in("coord", PASSWORD).status == 302
    issue = {f"t{trainee}-trainer": str(world.trainer_id)}
    _no_500_same_answer(*double_tap(coordinator, f"/certificates/issue/{trainee}", issue))
    assert _count(app, Certificate) == 1
    with app.app_context():
        certificate_id = db.session.scalar(select(Certificate.id))
    revoke = {"reason": "Issued by mistake, sorry."}
    _no_500_same_answer(*double_tap(coordinator, f"/certificates/{certificate_id}/revoke", revoke))
    assert _count(app, AuditEvent, AuditEvent.action == "certificate.revoke") == 1


def test_error_page_renders_after_a_failed_transaction(tmp_path):
    """A request that dies mid-transaction still gets the full error page (the handler rolls back)."""
    from training.accounts.models import User

    with database(KIND, tmp_path) as url:
        app = build_app(url, tmp_path, RATELIMIT_ENABLED=False)
        seed(app, trainees=1)

        @app.post("/test-broken-write")
        def broken_write():
            db.session.add(User(login="trainee0", name="Twin", role="trainee", site_id="elbtal"))
            db.session.flush()  # duplicate login: IntegrityError, the transaction is dead
            return "unreachable"

        with live_server(app) as base:
            phone = Browser(base)
            assert phone.sign_in("trainee0", PASSWORD).status == 302
            answer = phone.post("/test-broken-write")
    assert answer.status == 500
    assert "Something went wrong on our side" in answer.body and "Internal Server Error" not in answer.body
