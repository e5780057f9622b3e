"""Every route declares who may use it, and every role is tried against every route.

``ACCESS`` is the declaration table: for each endpoint of ``app.url_map`` the requests to
try and what each role gets. A route that is not in the table fails
``test_every_route_declares_who_may_use_it``, so a new page cannot skip the question. Refused
requests look like missing ones (404); anonymous visitors of signed-in pages go to sign in (302).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from training.extensions import db

from .conftest import login, make_certificate, make_user

ROLES = (
    "anonymous",
    "admin",
    "coordinator",  # Elbtal's
    "trainer",  # trains {c}, where {t} is
    "other_trainer",  # trains {oc} at the same site
    "trainee",  # {t}
    "foreign_coordinator",  # Galil's
    "foreign_trainer",  # trains {fc}
    "foreign_trainee",  # {ft}
)
SIGNED_IN = ROLES[1:]
STAFF = ("admin", "coordinator", "trainer", "other_trainer", "foreign_coordinator", "foreign_trainer")
OVERSEERS = ("admin", "coordinator", "foreign_coordinator")
TRAINEES = ("trainee", "foreign_trainee")
RUN_C = ("admin", "coordinator", "trainer")  # may_run_cohort on {c}
RUN_FC = ("admin", "foreign_coordinator", "foreign_trainer")  # may_run_cohort on {fc}
ELBTAL_STAFF = ("admin", "coordinator", "trainer", "other_trainer")  # Elbtal's manuals


def anyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def only(*roles: str, status: int = 200) -> dict[str, int]:
    """Signed-in pages: these roles get ``status``, anonymous visitors are sent to sign in, others 404."""
    return {"anonymous": 302, **dict.fromkeys(roles, status)}


NOBODY = only()

# endpoint -> [(method, url, {role: status})]; roles not named get 404.
# {c} own cohort, {oc} another cohort at the same site, {fc} a cohort at another site,
# {t} trainee in {c}, {ot} trainee in {oc}, {ft} trainee in {fc}, {spare} a trainee in no cohort,
# {tr} a trainer at the site, {w} a workshop of {c}, {a} an assessment of {t} by {c}'s trainer,
# {f} the safety flag it raised, {cert} a certificate of {t}, {b} a manual build for Elbtal.
ACCESS: dict[str, list[tuple[str, str, dict[str, int]]]] = {
    "root": [("GET", "/", anyone(302))],
    "favicon": [("GET", "/favicon.ico", anyone(200))],
    "static": [("GET", "/static/css/site.css", anyone(200))],
    "health.healthz": [("GET", "/healthz", anyone(200))],
    "offline.service_worker": [("GET", "/sw.js", anyone(200))],
    "offline.manifest": [("GET", "/manifest.webmanifest", anyone(200))],
    # accounts
    "accounts.login": [
        ("GET", "/login", {**anyone(302), "anonymous": 200}),  # signed in: on to the home page
        ("POST", "/login", {**anyone(302), "anonymous": 200}),
    ],
    "accounts.set_password": [
        ("GET", "/set-password/not-a-token", anyone(404)),
        ("POST", "/set-password/x", anyone(404)),
    ],
    "accounts.account": [("GET", "/account", only(*SIGNED_IN)), ("POST", "/account", only(*SIGNED_IN))],
    "accounts.set_language": [("POST", "/language", anyone(302))],
    "accounts.my_data_json": [("GET", "/account/my-data.json", only(*SIGNED_IN))],
    "accounts.my_data_csv": [("GET", "/account/my-data.csv", only(*SIGNED_IN))],
    "manage.users": [("GET", "/manage/users/", only(*OVERSEERS))],
    "manage.new_user": [
        ("GET", "/manage/users/new", only(*OVERSEERS)),
        ("POST", "/manage/users/new", only(*OVERSEERS)),
    ],
    "manage.edit_user": [
        ("GET", "/manage/users/{tr}", only("admin", "coordinator")),
        ("POST", "/manage/users/{tr}", only("admin", "coordinator")),
        ("GET", "/manage/users/{admin}", NOBODY),  # nobody edits themselves; coordinators no admins
    ],
    "manage.user_link": [("POST", "/manage/users/{t}/link", only("admin", "coordinator"))],
    # cohorts
    "cohorts.index": [("GET", "/cohorts/", only(*STAFF))],
    "cohorts.dashboard": [
        ("GET", "/cohorts/{c}/", only(*RUN_C)),
        ("GET", "/cohorts/{fc}/", only(*RUN_FC)),
        ("GET", "/cohorts/9999/", NOBODY),
    ],
    "cohorts.progress_csv": [("GET", "/cohorts/{c}/progress.csv", only(*RUN_C))],
    "cohorts.trainee": [
        ("GET", "/cohorts/{c}/trainees/{t}/", only(*RUN_C)),
        ("GET", "/cohorts/{c}/trainees/{ot}/", NOBODY),  # a guessed id: a trainee of another cohort
        ("GET", "/cohorts/{oc}/trainees/{t}/", NOBODY),
    ],
    "cohorts.trainee_link": [("POST", "/cohorts/{c}/trainees/{t}/link", only(*RUN_C))],
    "cohorts.new_trainee": [
        ("GET", "/cohorts/{c}/trainees/new", only(*RUN_C)),
        ("POST", "/cohorts/{c}/trainees/new", only(*RUN_C)),
    ],
    # Existing accounts are enrolled by the site's coordinators only (may_manage_cohort).
    "cohorts.enrol_existing": [
        ("POST", "/cohorts/{c}/enrol?enrol-trainee={spare}", only("admin", "coordinator", status=302))
    ],
    "cohorts.new_code": [("POST", "/cohorts/{c}/code", only(*RUN_C, status=302))],
    "cohorts.new_cohort": [("GET", "/cohorts/new", only(*OVERSEERS)), ("POST", "/cohorts/new", only(*OVERSEERS))],
    "cohorts.edit_cohort": [
        ("GET", "/cohorts/{c}/edit", only("admin", "coordinator")),
        ("POST", "/cohorts/{c}/edit", only("admin", "coordinator")),
    ],
    "cohorts.join": [
        ("GET", "/join", {"anonymous": 200, "trainee": 200, "foreign_trainee": 200}),
        ("POST", "/join", {"anonymous": 200, "trainee": 200, "foreign_trainee": 200}),
    ],
    "cohorts.workshops": [
        ("GET", "/cohorts/{c}/workshops", only(*RUN_C)),
        ("POST", "/cohorts/{c}/workshops", only(*RUN_C)),
        ("GET", "/cohorts/{fc}/workshops", only(*RUN_FC)),
    ],
    "cohorts.attendance": [
        ("GET", "/cohorts/{c}/workshops/{w}/attendance", only(*RUN_C)),
        ("POST", "/cohorts/{c}/workshops/{w}/attendance", only(*RUN_C, status=302)),
        ("GET", "/cohorts/{fc}/workshops/{w}/attendance", NOBODY),  # the workshop is not {fc}'s
    ],
    "cohorts.remove_trainee": [
        ("POST", "/cohorts/{fc}/trainees/{t}/remove", NOBODY),
        ("POST", "/cohorts/{oc}/trainees/{ot}/remove", only("admin", "coordinator", "other_trainer", status=302)),
    ],
    # assessments
    "assessments.grid": [("GET", "/cohorts/{c}/competencies", only(*RUN_C))],
    # Only the cohort's trainers assess (may_assess): not the coordinator, not the admin.
    "assessments.assess": [
        ("GET", "/cohorts/{c}/trainees/{t}/assess?competency=B2", only("trainer")),
        ("POST", "/cohorts/{c}/trainees/{t}/assess?competency=B2", only("trainer")),
        ("GET", "/cohorts/{c}/trainees/{ot}/assess?competency=B2", NOBODY),
    ],
    "assessments.trainee_competencies": [
        ("GET", "/cohorts/{c}/trainees/{t}/competencies", only(*RUN_C)),
        ("GET", "/cohorts/{fc}/trainees/{t}/competencies", NOBODY),
    ],
    # may_revoke_assessment: the site's overseers, and its author while they run the cohort.
    "assessments.revoke": [
        ("GET", "/assessments/{a}/revoke", only("admin", "coordinator", "trainer")),
        ("POST", "/assessments/{a}/revoke", only("admin", "coordinator", "trainer")),
        ("GET", "/assessments/9999/revoke", NOBODY),
    ],
    "assessments.close_flag": [
        ("POST", "/flags/{f}/close", only("admin", "coordinator", "trainer", status=302)),
        ("POST", "/flags/9999/close", NOBODY),
    ],
    "assessments.cohort_csv": [("GET", "/cohorts/{c}/assessments.csv", only(*RUN_C))],
    "assessments.overview": [("GET", "/overview", only(*OVERSEERS))],
    # reports
    "reports.cohort": [("GET", "/cohorts/{c}/report", only(*RUN_C))],
    "reports.cohort_pdf": [("GET", "/cohorts/{c}/report.pdf", only(*RUN_C))],
    "reports.cohort_csv": [("GET", "/cohorts/{c}/report.csv", only(*RUN_C))],
    "reports.cohort_xlsx": [("GET", "/cohorts/{c}/report.xlsx", only(*RUN_C))],
    "reports.programme": [("GET", "/reports/programme", only("admin"))],
    "reports.programme_pdf": [("GET", "/reports/programme.pdf", only("admin"))],
    "reports.programme_xlsx": [("GET", "/reports/programme.xlsx", only("admin"))],
    "reports.trainee_record": [
        ("GET", "/trainees/{t}/record", only("admin", "coordinator", "trainer", "trainee")),
        ("GET", "/trainees/{tr}/record", NOBODY),  # staff have no training record
    ],
    "reports.trainee_record_pdf": [
        ("GET", "/trainees/{t}/record.pdf", only("admin", "coordinator", "trainer", "trainee"))
    ],
    "assessments.site_csv": [
        ("GET", "/sites/elbtal/assessments.csv", only("admin", "coordinator")),
        ("GET", "/sites/galil/assessments.csv", only("admin", "foreign_coordinator")),
    ],
    "assessments.my_competencies": [("GET", "/me/competencies", only(*TRAINEES))],
    "certificates.issue": [
        ("POST", "/certificates/issue/{t}", only("admin", "coordinator", status=302)),
        ("POST", "/certificates/issue/{ft}", only("admin", "foreign_coordinator", status=302)),
    ],
    # may_print_certificate: the holder, their trainers, the site's overseers.
    "certificates.download": [
        ("GET", "/certificates/{cert}.pdf", only("admin", "coordinator", "trainer", "trainee")),
        ("GET", "/certificates/9999.pdf", NOBODY),
    ],
    "certificates.revoke": [
        ("GET", "/certificates/{cert}/revoke", only("admin", "coordinator")),
        ("POST", "/certificates/{cert}/revoke", only("admin", "coordinator")),
    ],
    "certificates.verify": [
        ("GET", "/verify", anyone(200)),
        ("GET", "/verify/AAAA-BBBB-CCCC", anyone(200)),
        ("GET", "/verify/NO-SUCH-CODE", anyone(404)),
    ],
    "audit.events": [("GET", "/audit", only(*OVERSEERS))],
    # the paper loop
    "paper.signoff_template": [
        ("GET", "/cohorts/{c}/signoff.csv", only(*RUN_C)),
        ("GET", "/cohorts/{fc}/signoff.csv", only(*RUN_FC)),
    ],
    "paper.signoff_sheet": [("GET", "/cohorts/{c}/signoff.pdf?competency=B2", only(*RUN_C))],
    "paper.assessments_import": [
        ("GET", "/cohorts/{c}/import/assessments", only("trainer")),
        ("POST", "/cohorts/{c}/import/assessments", only("trainer")),
    ],
    "paper.register_template": [("GET", "/cohorts/{c}/workshops/{w}/register.csv", only(*RUN_C))],
    "paper.attendance_register": [
        ("GET", "/cohorts/{c}/workshops/{w}/register.pdf", only(*RUN_C)),
        ("GET", "/cohorts/{oc}/workshops/{w}/register.pdf", NOBODY),
    ],
    "paper.attendance_import": [
        ("GET", "/cohorts/{c}/workshops/{w}/import", only(*RUN_C)),
        ("POST", "/cohorts/{c}/workshops/{w}/import", only(*RUN_C)),
        ("GET", "/cohorts/{c}/workshops/9999/import", NOBODY),
    ],
    "curriculum_admin.translation_status": [("GET", "/translations", only(*STAFF))],
    # the translators' desk: granted per language (nobody here has a grant), admins for every language
    "translations.index": [("GET", "/desk/", only("admin"))],
    "translations.module": [("GET", "/desk/peer-role/de", only("admin")), ("GET", "/desk/ghost/de", NOBODY)],
    # Admins get a message back (no step named, the steps not done); nobody else reaches the page.
    "translations.record_step": [("POST", "/desk/peer-role/de/steps", only("admin", status=302))],
    "translations.mark_current": [("POST", "/desk/peer-role/de/current", only("admin", status=302))],
    "translations.attachment": [("GET", "/desk/peer-role/de/steps/9999/attachment", NOBODY)],
    # reading and the journal
    "learning.index": [("GET", "/de/", anyone(200)), ("GET", "/xx/", anyone(404))],
    "learning.module": [("GET", "/de/modules/peer-role/", anyone(200))],
    "learning.module_image": [("GET", "/de/modules/peer-role/images/none.png", anyone(404))],  # public; no such file
    "learning.section_done": [
        ("POST", "/de/modules/peer-role/sections/starting-together/done", only(*TRAINEES, status=302))
    ],
    "learning.journal": [
        ("GET", "/de/modules/peer-role/journal", only(*TRAINEES)),
        ("POST", "/de/modules/peer-role/journal", only(*TRAINEES, status=302)),
    ],
    "learning.my_journal": [("GET", "/de/journal", only(*TRAINEES))],
    # printed manuals: admins for every site, other staff for their own
    "manuals.index": [("GET", "/manuals/", only(*STAFF)), ("POST", "/manuals/", only(*STAFF))],
    "manuals.status": [("GET", "/manuals/builds/{b}/", only(*ELBTAL_STAFF))],
    "manuals.download": [("GET", "/manuals/builds/{b}/pdf", only(*ELBTAL_STAFF, status=302))],  # not built yet
    "manuals.retry": [("POST", "/manuals/builds/{b}/retry", only(*ELBTAL_STAFF, status=302))],
    # last: signing out, and a removal that changes what later requests would see
    "accounts.logout": [("POST", "/logout", anyone(302))],
}
LAST = ("cohorts.remove_trainee", "accounts.logout")


@dataclass
class World:
    ids: dict[str, int]


@pytest.fixture
def world(app, people) -> World:
    """The people fixture plus a workshop, an assessment with its safety flag, a certificate,
    a trainee in no cohort and a manual build, made through the services where there is one."""
    from training.assessments.models import SafetyFlag
    from training.assessments.services import record_assessment
    from training.cohorts.models import Cohort
    from training.cohorts.workshops import add_workshop
    from training.manuals.models import BuildStatus, ManualBuild
    from training.models_base import utcnow
    from training.roles import Role

    with app.app_context():
        store = app.extensions["curriculum"]
        trainer = db.session.merge(people.trainer)
        cohort = db.session.get(Cohort, people.cohort_id)
        trainee = db.session.merge(people.trainee)
        workshop = add_workshop(trainer, store, cohort, title="Day 1", held_on=date(2026, 11, 3), place="", modules=[])
        b2 = store.framework("de").get("B2")
        assessment = record_assessment(
            trainer,
            store,
            cohort=cohort,
            trainee=trainee,
            competency_id="B2",
            evidence_kind=b2.evidence_kinds[0],
            level=0,  # raises a safety flag
            observed_on=date(2026, 11, 3),
            submission_id="authorisation-test",
        )
        flag = db.session.query(SafetyFlag).one()
        make_certificate(people)
        spare = make_user("spare", Role.TRAINEE, "elbtal")
        now = utcnow()
        build = ManualBuild(
            cache_key="k" * 64,
            kind="workbook",
            lang="de",
            site_id="elbtal",
            paper="a4",
            status=BuildStatus.QUEUED,
            created_at=now,
            updated_at=now,
        )
        db.session.add(build)
        db.session.commit()
        from training.assessments.models import Certificate

        certificate = db.session.query(Certificate).one()
        ids = {
            "c": people.cohort_id,
            "oc": people.other_cohort_id,
            "fc": people.foreign_cohort_id,
            "t": people.trainee.id,
            "ot": people.other_trainee.id,
            "ft": people.foreign_trainee.id,
            "tr": people.trainer.id,
            "admin": people.admin.id,
            "spare": spare.id,
            "w": workshop.id,
            "a": assessment.id,
            "f": flag.id,
            "cert": certificate.id,
            "b": build.id,
        }
    return World(ids)


def _ordered_cases():
    endpoints = [e for e in ACCESS if e not in LAST] + list(LAST)
    return [(endpoint, *case) for endpoint in endpoints for case in ACCESS[endpoint]]


def test_every_route_declares_who_may_use_it(app):
    """Each rule and method of app.url_map has a case in ACCESS that reaches it, and each case
    reaches the endpoint it is declared for (so the table cannot drift from the routes)."""
    adapter = app.url_map.bind("localhost")
    dummy = dict.fromkeys(("c", "oc", "fc", "t", "ot", "ft", "tr", "admin", "spare", "w", "a", "f", "cert", "b"), 1)
    reached: set[tuple[str, str]] = set()
    problems = []
    for endpoint, method, template, _expected in _ordered_cases():
        path = template.format(**dummy).split("?")[0]
        rule, _args = adapter.match(path, method=method, return_rule=True)
        if rule.endpoint != endpoint:
            problems.append(f"{method} {template} is declared for {endpoint} but reaches {rule.endpoint}")
        reached.add((rule.rule, method))
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in ACCESS:
            problems.append(f"new route {rule.rule} ({rule.endpoint}) declares no access rule in ACCESS")
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (rule.rule, method) not in reached:
                problems.append(f"{method} {rule.rule} ({rule.endpoint}) has no case in ACCESS")
    known = {rule.endpoint for rule in app.url_map.iter_rules()}
    problems += [f"ACCESS declares {e}, which is no route" for e in ACCESS if e not in known]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
def test_role_against_every_route(app, people, world, role):
    client = app.test_client()
    user = getattr(people, role, None)
    if user is not None:
        login(client, user)
    failures = []
    for endpoint, method, template, expected in _ordered_cases():
        url = template.format(**world.ids)
        path, _, query = url.partition("?")
        data = dict(p.split("=", 1) for p in query.split("&")) if method == "POST" and query else None
        response = client.open(path if data else url, method=method, data=data)
        response.close()  # files (static, favicon) are streamed
        want = expected.get(role, 404)
        if response.status_code != want:
            failures.append(f"{endpoint}: {method} {url}: {response.status_code}, expected {want}")
        if response.status_code == 404:
            body = response.get_data(as_text=True)
            if "Traceback" in body:
                failures.append(f"{method} {url}: traceback on the 404 page")
            for secret in ("Elbtal A", "Galil A", people.trainee.name):
                if f"<h1>{secret}" in body:
                    failures.append(f"{method} {url}: 404 page leaks {secret!r}")
        if endpoint == "accounts.logout" and user is not None:
            login(client, user)
    assert not failures, "\n".join(failures)


def test_enrolling_and_removing_by_the_table_did_what_it_says(app, people, world):
    """The two state-changing cases of the table, checked in the database for one allowed role."""
    from training.cohorts.models import Enrolment

    client = app.test_client()
    login(client, people.coordinator)
    assert (
        client.post(f"/cohorts/{people.cohort_id}/enrol", data={"enrol-trainee": world.ids["spare"]}).status_code == 302
    )
    assert (
        client.post(f"/cohorts/{people.other_cohort_id}/trainees/{people.other_trainee.id}/remove").status_code == 302
    )
    with app.app_context():
        assert db.session.get(Enrolment, (people.cohort_id, world.ids["spare"])) is not None
        assert db.session.get(Enrolment, (people.other_cohort_id, people.other_trainee.id)) is None
    trainer = app.test_client()
    login(trainer, people.trainer)  # a trainer may not pull an existing account into their cohort
    assert (
        trainer.post(f"/cohorts/{people.cohort_id}/enrol", data={"enrol-trainee": people.other_trainee.id}).status_code
        == 404
    )
    with app.app_context():
        assert db.session.get(Enrolment, (people.cohort_id, people.other_trainee.id)) is None


def test_trainee_cannot_read_another_trainees_journal(app, people):
    client = app.test_client()
    login(client, people.trainee)
    saved = client.post("/de/modules/peer-role/journal", data={"prompt": "", "body": "only mine", "shared": "1"})
    assert saved.status_code == 302
    assert "only mine" in client.get("/de/journal").get_data(as_text=True)  # the author sees it
    assert client.post("/logout").status_code == 302
    other = app.test_client()
    login(other, people.other_trainee)
    assert "only mine" not in other.get("/de/journal").get_data(as_text=True)
    assert "only mine" not in other.get("/de/modules/peer-role/journal").get_data(as_text=True)
    assert "only mine" not in other.get("/account/my-data.json").get_data(as_text=True)
