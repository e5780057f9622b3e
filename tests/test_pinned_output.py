"""Faster pages give exactly the same content: grids, CSV exports and trainee pages are pinned.

The expected outputs in tests/fixtures/pinned/ were written by the implementation before the
performance work (grids built from ORM objects, per-cell formatting) for the seeded cohort below.
Tables are compared cell by cell (text, classes, links, labels), CSV exports byte for byte, and
trainee pages as their <main> text with whitespace folded and CSRF tokens replaced by a mark.

To re-pin after an intended change of content: PEERPATH_PIN_WRITE=1 pytest tests/test_pinned_output.py
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from training.accounts.models import Role
from training.assessments.models import Assessment, Revocation, SafetyFlag
from training.cohorts.models import Enrolment
from training.extensions import db
from training.learning.models import Reflection, SectionProgress

from .conftest import login, make_user

PINNED = Path(__file__).resolve().parent / "fixtures" / "pinned"
WRITE = os.environ.get("PEERPATH_PIN_WRITE") == "1"
T0 = datetime(2026, 10, 5, 21, 30, tzinfo=UTC)  # late evening UTC: the next day in Berlin for some rows

# (login, name): names that need escaping, CSV defusing, and non-ASCII letters; sorted the same way
# by SQLite, PostgreSQL and Python's casefold.
TRAINEES = [
    ("t.anna", "Anna <b>Bold</b> & Co"),
    ("t.bernd", '=HYPERLINK("x") Bernd'),
    ("t.carla", "Carla Çelik"),
    ("t.dmitri", "Dmitri Ärger"),
    ("t.emil", 'Emil, "quoted"'),
    ("t.fatma", "Fatma Yilmaz"),
    ("t.gabi", "Gabi Zoë"),
    ("t.hanna", "Hanna No-Records"),
]


def _seed(people) -> dict[str, int]:
    """Varied records for the fixture cohort: progress, retired sections, assessments, revocations, flags."""
    from training.accounts.models import User

    trainer = db.session.get(User, people.trainer.id)
    other = db.session.get(User, people.other_trainer.id)
    ids = {}
    for login_name, name in TRAINEES:
        user = make_user(login_name, Role.TRAINEE, "elbtal", name=name, language="de")
        db.session.add(Enrolment(cohort_id=people.cohort_id, user_id=user.id, enrolled_at=T0))
        ids[login_name] = user.id
    ids["trainee"] = people.trainee.id
    modules = {
        "peer-role": ("starting-together", "what-is-peer-support", "what-peer-workers-do", "how-the-role-differs"),
        "communication": ("first-meetings", "open-questions", "reflecting-and-summarising"),
        "crisis-safety": ("recognising-crisis",),
        "recovery-hope": (
            "what-recovery-means",
            "what-helps-recovery",
            "carrying-hope",
            "strengths-and-language",
            "setbacks",
            "supporting-recovery",
        ),
    }
    plan = {
        "t.anna": ["peer-role", "recovery-hope"],
        "t.bernd": ["communication"],
        "t.carla": ["peer-role", "communication", "crisis-safety", "recovery-hope"],
        "t.dmitri": ["crisis-safety"],
        "t.emil": ["recovery-hope"],
        "t.fatma": ["peer-role"],
        "t.gabi": ["communication", "peer-role"],
        "trainee": ["communication"],
    }
    for k, (who, slugs) in enumerate(plan.items()):
        for m, slug in enumerate(slugs):
            for s, section in enumerate(modules[slug]):
                db.session.add(
                    SectionProgress(
                        user_id=ids[who],
                        module=slug,
                        section=section,
                        language="de",
                        revision="r1",
                        completed_at=T0 + timedelta(days=k, hours=3 * m, minutes=7 * s),
                    )
                )
    # A section that no longer exists in the module: kept, reported as retired, not counted.
    db.session.add(
        SectionProgress(
            user_id=ids["t.fatma"],
            module="communication",
            section="retired-section",
            language="de",
            revision="r0",
            completed_at=T0 + timedelta(days=20),
        )
    )
    db.session.add(Reflection(user_id=ids["trainee"], module="communication", prompt="", body="Mine", shared=False))

    serial = iter(range(1, 1000))

    def assess(who, competency, kind, level, day, assessor=trainer, revoke=False, note="", checklist=()):
        number = next(serial)
        a = Assessment(
            trainee_id=ids[who],
            assessor_id=assessor.id,
            cohort_id=people.cohort_id,
            site_id="elbtal",
            competency=competency,
            evidence_kind=kind,
            level=level,
            suggested_level=level if number % 3 == 0 else None,
            checklist=list(checklist),
            observed_on=date(2026, 10, 1) + timedelta(days=day),
            note=note,
            language="de",
            content_revision="abc123",
            safety_revision="",
            submission_id=f"pin-{number}",
            created_at=T0 + timedelta(hours=number),
        )
        db.session.add(a)
        db.session.flush()
        if revoke:
            db.session.add(
                Revocation(
                    assessment_id=a.id,
                    revoked_by_id=other.id,
                    reason="Wrong trainee",
                    created_at=T0 + timedelta(days=9),
                )
            )
        if level == 0:
            db.session.add(
                SafetyFlag(
                    trainee_id=ids[who],
                    site_id="elbtal",
                    competency=competency,
                    raised_by_assessment_id=a.id,
                    raised_at=T0 + timedelta(hours=number),
                )
            )
        return a

    assess("t.anna", "A1", "knowledge", 2, 1, note='Gut, "klar"\nzweite Zeile', checklist=("a", "b"))
    assess("t.anna", "A1", "skill", 3, 2)
    assess("t.anna", "B1", "skill", 1, 3)
    assess("t.anna", "B1", "skill", 2, 3)  # same day, recorded later: this one counts
    assess("t.bernd", "B1", "skill", 3, 4, revoke=True)  # revoked: not achieved
    assess("t.bernd", "C3", "knowledge", 0, 5)  # level 0: open flag
    assess("t.carla", "A3", "knowledge", 2, 6, assessor=other)
    assess("t.carla", "A3", "practice", 1, 7)
    assess("t.carla", "A3", "practice", 3, 5)  # observed earlier: the day-7 rating is the latest
    assess("t.carla", "E3", "practice", 2, 8)
    assess("t.dmitri", "D1", "practice", 0, 9)
    assess("t.dmitri", "D1", "practice", 2, 10)  # later and better, the flag stays open until closed
    assess("t.emil", "C1", "knowledge", 2, 11, note="=1+1")
    assess("t.emil", "C1", "practice", 2, 12)
    assess("t.gabi", "B2", "skill", 2, 13)
    assess("t.gabi", "B2", "skill", 0, 13, revoke=True)
    # Another cohort's assessment of a trainee of this cohort (the trainee is in both): listed too.
    db.session.add(Enrolment(cohort_id=people.other_cohort_id, user_id=ids["t.fatma"], enrolled_at=T0))
    db.session.commit()
    return ids


class Cells(HTMLParser):
    """Every table row as a list of cells: tag, class, text, links and labels inside."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[dict]] = []
        self.cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.cell = {"tag": tag, "class": attrs.get("class", ""), "text": "", "links": []}
            for key in ("title", "aria-sort", "scope"):
                if attrs.get(key):
                    self.cell[key] = attrs[key]
            self.rows[-1].append(self.cell)
        elif self.cell is not None and tag == "a":
            self.cell["links"].append([attrs.get("href", ""), attrs.get("aria-label", "")])
        elif self.cell is not None and attrs.get("title"):
            self.cell["links"].append([tag, attrs["title"]])

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            if self.cell is not None:
                self.cell["text"] = " ".join(self.cell["text"].split())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data


def table_cells(html: str) -> list[list[dict]]:
    parser = Cells()
    parser.feed(html)
    return [row for row in parser.rows if row]


def main_text(html: str) -> str:
    """The page's <main>, whitespace folded, tokens blanked."""
    main = html[html.index("<main") : html.index("</main>")]
    main = re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value="(token)"', main)
    return re.sub(r">\s+<", "><", " ".join(main.split()))


def check(name: str, actual) -> None:
    path = PINNED / name
    if WRITE:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(actual, bytes):
            path.write_bytes(actual)
        else:
            path.write_text(json.dumps(actual, ensure_ascii=False, indent=1) + "\n")
        return
    if isinstance(actual, bytes):
        assert actual == path.read_bytes(), f"{name} differs from the pinned output"
    else:
        assert actual == json.loads(path.read_text()), f"{name} differs from the pinned output"


@pytest.fixture
def seeded(app, people):
    with app.app_context():
        return _seed(people)


GRID_VIEWS = [
    ("progress-name", "/cohorts/{c}/"),
    ("progress-name-desc", "/cohorts/{c}/?sort=name&dir=desc"),
    ("progress-progress", "/cohorts/{c}/?sort=progress&dir=desc"),
    ("progress-activity", "/cohorts/{c}/?sort=activity"),
    ("progress-activity-desc", "/cohorts/{c}/?sort=activity&dir=desc"),
    ("progress-module", "/cohorts/{c}/?sort=communication"),
    ("progress-module-desc", "/cohorts/{c}/?sort=peer-role&dir=desc"),
    ("competencies", "/cohorts/{c}/competencies"),
]


@pytest.mark.parametrize("lang", ["en", "de"])
def test_cohort_grids_keep_their_cells(app, client, people, seeded, lang):
    login(client, people.trainer)
    for name, path in GRID_VIEWS:
        response = client.get(path.format(c=people.cohort_id), headers={"Accept-Language": lang})
        assert response.status_code == 200
        check(f"{name}.{lang}.json", table_cells(response.get_data(as_text=True)))


def test_competency_grid_for_a_coordinator_keeps_its_cells(app, client, people, seeded):
    """A coordinator who does not train the cohort sees the grid without assessment links."""
    login(client, people.coordinator)
    response = client.get(f"/cohorts/{people.cohort_id}/competencies")
    assert response.status_code == 200
    check("competencies-coordinator.json", table_cells(response.get_data(as_text=True)))


@pytest.mark.parametrize(
    "name,path",
    [
        ("progress.csv", "/cohorts/{c}/progress.csv"),
        ("assessments.csv", "/cohorts/{c}/assessments.csv"),
        ("signoff.csv", "/cohorts/{c}/signoff.csv"),
        ("signoff-A3.csv", "/cohorts/{c}/signoff.csv?competency=A3"),
    ],
)
def test_cohort_csv_exports_keep_their_bytes(app, client, people, seeded, name, path):
    login(client, people.trainer)
    response = client.get(path.format(c=people.cohort_id))
    assert response.status_code == 200
    assert response.get_data().startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs, then the pinned bytes
    check(name, response.get_data().removeprefix(b"\xef\xbb\xbf"))


def test_site_assessment_csv_keeps_its_bytes(app, client, people, seeded):
    login(client, people.coordinator)
    response = client.get("/sites/elbtal/assessments.csv")
    assert response.status_code == 200
    check("site-assessments.csv", response.get_data().removeprefix(b"\xef\xbb\xbf"))  # after Excel's byte-order mark


@pytest.mark.parametrize(
    "name,path",
    [
        ("module-communication", "/de/modules/communication/"),
        ("module-peer-role", "/de/modules/peer-role/"),
        ("index", "/de/"),
    ],
)
def test_trainee_pages_keep_their_content(app, client, people, seeded, name, path):
    login(client, "t.fatma")  # progress, a retired section, no reflections
    check(f"{name}.fatma.json", main_text(client.get(path).get_data(as_text=True)))
    client.post("/logout")
    login(client, people.trainee)  # one module half done, a reflection written
    check(f"{name}.trainee.json", main_text(client.get(path).get_data(as_text=True)))
    client.post("/logout")
    check(f"{name}.anonymous.json", main_text(client.get(path).get_data(as_text=True)))


def test_trainer_sees_the_module_page_unchanged(app, client, people, seeded):
    login(client, people.trainer)
    check(
        "module-communication.trainer.json", main_text(client.get("/de/modules/communication/").get_data(as_text=True))
    )


def test_competency_grid_of_a_large_cohort_comes_in_pages(app, client, people):
    """Every trainee is on exactly one page, in name order, with links between the pages."""
    from sqlalchemy import insert

    from training.accounts.models import User
    from training.assessments.grid import PAGE_SIZE

    count = PAGE_SIZE + 5
    with app.app_context():
        first = db.session.scalar(db.select(db.func.max(User.id))) + 1
        db.session.execute(
            insert(User),
            [
                {
                    "id": first + n,
                    "login": f"many{n}",
                    "name": f"Many {n:04d}",
                    "role": Role.TRAINEE,
                    "site_id": "elbtal",
                }
                for n in range(count)
            ],
        )
        db.session.execute(
            insert(Enrolment), [{"cohort_id": people.cohort_id, "user_id": first + n} for n in range(count)]
        )
        db.session.commit()
    login(client, people.trainer)
    names = []
    for page in (1, 2):
        html = client.get(f"/cohorts/{people.cohort_id}/competencies?page={page}").get_data(as_text=True)
        rows = [row[0]["text"] for row in table_cells(html)[1:]]
        names += rows
        assert ('rel="next"' in html) == (page == 1) and ('rel="prev"' in html) == (page == 2)
    assert len(names) == count + 1  # and the fixture's own trainee
    assert names == sorted(names) and len(set(names)) == len(names)
    assert "Trainees 1–200 of 206" in client.get(f"/cohorts/{people.cohort_id}/competencies").get_data(as_text=True)
    # Out of range: the nearest page, never an error.
    assert client.get(f"/cohorts/{people.cohort_id}/competencies?page=99").status_code == 200


def test_progress_grid_of_a_large_cohort_comes_in_pages(app, client, people, seeded, monkeypatch):
    """Sorted first, then paged: the pages together are the whole sorted grid, in order."""
    from training.cohorts import dashboard

    login(client, people.trainer)
    whole = table_cells(client.get(f"/cohorts/{people.cohort_id}/?sort=progress&dir=desc").get_data(as_text=True))
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 4)
    rows, page, html = [], 1, ""
    while True:
        html = client.get(f"/cohorts/{people.cohort_id}/?sort=progress&dir=desc&page={page}").get_data(as_text=True)
        rows += table_cells(html)[1:]
        if 'rel="next"' not in html:
            break
        assert "sort=progress" in html.split('rel="next"')[1][:200]
        page += 1
    assert page == 3 and "Trainees 9–9 of 9" in html
    assert rows == whole[1:]
