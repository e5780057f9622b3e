"""Every role against every route, guessed ids included: refused requests look like missing ones (404)."""

from __future__ import annotations

import pytest

from .conftest import login

ROLES = (
    "anonymous",
    "admin",
    "coordinator",
    "trainer",
    "other_trainer",
    "trainee",
    "foreign_coordinator",
    "foreign_trainer",
    "foreign_trainee",
)

# (method, url template, {role: expected status}); unspecified roles expect 404.
# {c} own cohort, {oc} the other cohort at the same site, {fc} a cohort at another site,
# {t} trainee in {c}, {ot} trainee in {oc}, {tr} a trainer at the site.
MATRIX = [
    (
        "GET",
        "/cohorts/",
        {
            "anonymous": 302,
            "admin": 200,
            "coordinator": 200,
            "trainer": 200,
            "other_trainer": 200,
            "foreign_coordinator": 200,
            "foreign_trainer": 200,
        },
    ),
    ("GET", "/cohorts/{c}/", {"anonymous": 302, "admin": 200, "coordinator": 200, "trainer": 200}),
    ("GET", "/cohorts/{c}/progress.csv", {"anonymous": 302, "admin": 200, "coordinator": 200, "trainer": 200}),
    ("GET", "/cohorts/{c}/trainees/{t}/", {"anonymous": 302, "admin": 200, "coordinator": 200, "trainer": 200}),
    ("GET", "/cohorts/{c}/trainees/{ot}/", {"anonymous": 302}),  # a guessed id: trainee of another cohort
    ("GET", "/cohorts/{oc}/trainees/{t}/", {"anonymous": 302}),
    ("GET", "/cohorts/9999/", {"anonymous": 302}),
    ("GET", "/cohorts/{c}/trainees/new", {"anonymous": 302, "admin": 200, "coordinator": 200, "trainer": 200}),
    ("GET", "/cohorts/{c}/edit", {"anonymous": 302, "admin": 200, "coordinator": 200}),
    ("GET", "/cohorts/{fc}/", {"anonymous": 302, "admin": 200, "foreign_coordinator": 200, "foreign_trainer": 200}),
    ("POST", "/cohorts/{c}/code", {"anonymous": 302, "admin": 302, "coordinator": 302, "trainer": 302}),
    ("POST", "/cohorts/{c}/trainees/{t}/link", {"anonymous": 302, "admin": 200, "coordinator": 200, "trainer": 200}),
    ("POST", "/cohorts/{fc}/trainees/{t}/remove", {"anonymous": 302}),
    ("GET", "/cohorts/new", {"anonymous": 302, "admin": 200, "coordinator": 200, "foreign_coordinator": 200}),
    ("GET", "/manage/users/", {"anonymous": 302, "admin": 200, "coordinator": 200, "foreign_coordinator": 200}),
    ("GET", "/manage/users/{tr}", {"anonymous": 302, "admin": 200, "coordinator": 200}),
    ("GET", "/manage/users/{admin}", {"anonymous": 302}),
    ("POST", "/manage/users/{t}/link", {"anonymous": 302, "admin": 200, "coordinator": 200}),
    ("GET", "/de/modules/peer-role/journal", {"anonymous": 302, "trainee": 200, "foreign_trainee": 200}),
    ("GET", "/de/journal", {"anonymous": 302, "trainee": 200, "foreign_trainee": 200}),
    ("GET", "/account", {"anonymous": 302, **{r: 200 for r in ROLES if r != "anonymous"}}),
    ("GET", "/account/my-data.json", {"anonymous": 302, **{r: 200 for r in ROLES if r != "anonymous"}}),
    ("GET", "/de/modules/peer-role/", dict.fromkeys(ROLES, 200)),
    # competency assessments
    ("GET", "/cohorts/{c}/competencies", {"anonymous": 302, "admin": 200, "coordinator": 200, "trainer": 200}),
    ("GET", "/cohorts/{c}/trainees/{t}/assess?competency=B2", {"anonymous": 302, "trainer": 200}),
    ("GET", "/cohorts/{c}/trainees/{ot}/assess?competency=B2", {"anonymous": 302}),
    ("POST", "/cohorts/{c}/trainees/{t}/assess?competency=B2", {"anonymous": 302, "trainer": 200}),
    (
        "GET",
        "/cohorts/{c}/trainees/{t}/competencies",
        {"anonymous": 302, "admin": 200, "coordinator": 200, "trainer": 200},
    ),
    ("GET", "/cohorts/{fc}/trainees/{t}/competencies", {"anonymous": 302}),
    ("GET", "/cohorts/{c}/assessments.csv", {"anonymous": 302, "admin": 200, "coordinator": 200, "trainer": 200}),
    ("GET", "/overview", {"anonymous": 302, "admin": 200, "coordinator": 200, "foreign_coordinator": 200}),
    ("GET", "/audit", {"anonymous": 302, "admin": 200, "coordinator": 200, "foreign_coordinator": 200}),
    ("GET", "/sites/elbtal/assessments.csv", {"anonymous": 302, "admin": 200, "coordinator": 200}),
    ("GET", "/me/competencies", {"anonymous": 302, "trainee": 200, "foreign_trainee": 200}),
    ("GET", "/assessments/9999/revoke", {"anonymous": 302}),
    ("POST", "/flags/9999/close", {"anonymous": 302}),
    ("GET", "/certificates/9999.pdf", {"anonymous": 302}),
    ("POST", "/certificates/issue/{t}", {"anonymous": 302, "admin": 302, "coordinator": 302}),
    ("POST", "/certificates/issue/{ft}", {"anonymous": 302, "admin": 302, "foreign_coordinator": 302}),
    ("GET", "/verify", dict.fromkeys(ROLES, 200)),
    # the paper loop
    ("GET", "/cohorts/{c}/signoff.csv", {"anonymous": 302, "admin": 200, "coordinator": 200, "trainer": 200}),
    (
        "GET",
        "/cohorts/{fc}/signoff.csv",
        {"anonymous": 302, "admin": 200, "foreign_coordinator": 200, "foreign_trainer": 200},
    ),
    ("GET", "/cohorts/{c}/import/assessments", {"anonymous": 302, "trainer": 200}),
    ("POST", "/cohorts/{c}/import/assessments", {"anonymous": 302, "trainer": 200}),
    ("GET", "/cohorts/{c}/workshops/9999/import", {"anonymous": 302}),
    # workshops
    ("GET", "/cohorts/{c}/workshops", {"anonymous": 302, "admin": 200, "coordinator": 200, "trainer": 200}),
    (
        "GET",
        "/cohorts/{fc}/workshops",
        {"anonymous": 302, "admin": 200, "foreign_coordinator": 200, "foreign_trainer": 200},
    ),
]


@pytest.mark.parametrize("role", ROLES)
def test_role_against_every_route(app, people, role):
    client = app.test_client()
    if role != "anonymous":
        login(client, getattr(people, role))
    ids = {
        "c": people.cohort_id,
        "oc": people.other_cohort_id,
        "fc": people.foreign_cohort_id,
        "t": people.trainee.id,
        "ot": people.other_trainee.id,
        "ft": people.foreign_trainee.id,
        "tr": people.trainer.id,
        "admin": people.admin.id,
    }
    failures = []
    for method, template, expected in MATRIX:
        url = template.format(**ids)
        response = client.open(url, method=method)
        want = expected.get(role, 404)
        if response.status_code != want:
            failures.append(f"{method} {url}: {response.status_code}, expected {want}")
        if response.status_code == 404:
            body = response.get_data(as_text=True)
            assert "Traceback" not in body
            for secret in ("Elbtal A", "Galil A", people.trainee.name):
                if f"<h1>{secret}" in body:
                    failures.append(f"{method} {url}: 404 page leaks {secret!r}")
    assert not failures, "\n".join(failures)


def test_trainee_cannot_read_another_trainees_journal(app, people):
    client = app.test_client()
    login(client, people.trainee)
    client.post("/de/modules/peer-role/journal", data={"prompt": "", "body": "only mine", "shared": "1"})
    client.post("/logout")
    other = app.test_client()
    login(other, people.other_trainee)
    assert "only mine" not in other.get("/de/journal").get_data(as_text=True)
    assert "only mine" not in other.get("/de/modules/peer-role/journal").get_data(as_text=True)
    assert "only mine" not in other.get("/account/my-data.json").get_data(as_text=True)
