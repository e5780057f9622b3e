"""The cohort competency matrix: numbers checked against records made here (revoked ones must
not count), the same numbers on screen, in the CSV, the .xlsx and the PDF, constant queries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from training.accounts.models import Role, User
from training.assessments import services as assessment_services
from training.assessments.models import Assessment
from training.cohorts.models import Cohort, Enrolment
from training.extensions import db
from training.reports.charts import stacked_bars
from training.reports.services import cohort_report

from .conftest import login, make_user
from .test_assessments import record

T0 = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)


def _revoke(app, people, assessment_id: int) -> None:
    with app.app_context():
        actor = db.session.get(User, people.coordinator.id)
        assessment_services.revoke_assessment(actor, db.session.get(Assessment, assessment_id), "Wrong trainee")
        db.session.commit()


@pytest.fixture
def cohort_records(app, people):
    """Trainee: B2 0 → 2 (a later 3 revoked), A1 knowledge 1 then skill 0; a second trainee
    whose only assessment is revoked, with a name that a spreadsheet would run as a formula."""
    with app.app_context():
        second = make_user("second", Role.TRAINEE, "elbtal", name="=HYPERLINK(1)")
        db.session.add(Enrolment(cohort_id=people.cohort_id, user_id=second.id))
        db.session.commit()
        second_id = second.id
    record(app, people, competency="B2", level=0, observed=date(2026, 11, 1), now=T0)
    record(app, people, competency="B2", level=2, observed=date(2026, 11, 5), now=T0)
    _revoke(app, people, record(app, people, competency="B2", level=3, observed=date(2026, 11, 9), now=T0))
    record(app, people, competency="A1", kind="knowledge", level=1, observed=date(2026, 11, 1), now=T0)
    record(app, people, competency="A1", kind="skill", level=0, observed=date(2026, 11, 3), now=T0)
    with app.app_context():
        other = db.session.get(User, second_id)
    _revoke(app, people, record(app, people, trainee=other, competency="B2", level=3, now=T0))
    return second_id


def test_matrix_numbers_leave_revoked_assessments_out(app, people, cohort_records):
    with app.app_context():
        report = cohort_report(None, people.cohort_id, app.extensions["curriculum"].framework("en"))
        matrix = report.matrix
        ids = [c.id for c in matrix.competencies]
        by_login = {row.trainee.login: dict(zip(ids, row.cells, strict=True)) for row in matrix.rows}
        b2, a1 = by_login["trainee"]["B2"], by_login["trainee"]["A1"]
        assert (b2.first, b2.latest, b2.change) == (0, 2, 2)  # the revoked 3 does not count
        assert (a1.first, a1.latest, a1.change) == (1, 0, -1)  # standing: the lowest latest kind
        assert by_login["second"]["B2"].first is None  # its only assessment was revoked
        dist = {d.competency.id: d for d in matrix.distributions}
        assert (dist["B2"].before, dist["B2"].after, dist["B2"].not_assessed) == ((1, 0, 0, 0), (0, 0, 1, 0), 1)
        assert (dist["A1"].before, dist["A1"].after) == ((0, 1, 0, 0), (1, 0, 0, 0))
        assert dist["C4"].not_assessed == 2


def test_screen_csv_and_xlsx_show_the_same_numbers(app, people, client, cohort_records):
    from openpyxl import load_workbook

    login(client, people.trainer)
    html = client.get(f"/cohorts/{people.cohort_id}/report").get_data(as_text=True)
    assert '<td class="up"><bdi dir="ltr">0→2</bdi></td>' in html
    assert '<td class="zero"><bdi dir="ltr">1→0</bdi></td>' in html  # level 0 highlighted
    assert "<svg" in html and 'aria-hidden="true"' in html and '<table class="distribution">' in html

    response = client.get(f"/cohorts/{people.cohort_id}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    csv_cells = {
        (r["trainee_login"], r["competency"]): (r["first_level"], r["latest_level"], r["change"]) for r in rows
    }
    assert csv_cells[("trainee", "B2")] == ("0", "2", "2")
    assert csv_cells[("trainee", "A1")] == ("1", "0", "-1")
    assert csv_cells[("second", "B2")] == ("", "", "")
    assert {r["trainee"] for r in rows} == {"Trainee", "'=HYPERLINK(1)"}

    response = client.get(f"/cohorts/{people.cohort_id}/report.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("trainee", "trainee_login", "competency", "first_level", "latest_level", "change")
    xlsx_cells = {(r[1], r[2]): tuple("" if v is None else str(v) for v in r[3:]) for r in values[1:]}
    assert xlsx_cells == csv_cells
    # Text that looks like a formula stays text in the workbook too.
    assert all(sheet.cell(row=n, column=1).data_type == "s" for n in range(2, len(values) + 1))


def test_pdf_is_landscape_and_reads_back(app, people, client, cohort_records):
    from pypdf import PdfReader

    login(client, people.coordinator)
    response = client.get(f"/cohorts/{people.cohort_id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    box = reader.pages[0].mediabox
    assert box.width > box.height  # landscape
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Elbtal A" in text and "0→2" in text and "1→0" in text


def test_thirty_trainees_fit_on_two_landscape_pages(app, people, client):
    from pypdf import PdfReader

    with app.app_context():
        trainer = db.session.get(User, people.trainer.id)
        for n in range(30):
            user = make_user(f"p{n}", Role.TRAINEE, "elbtal", name=f"Person with a longer name {n}")
            db.session.add(Enrolment(cohort_id=people.cohort_id, user_id=user.id))
            for i, competency in enumerate(("A1", "B2", "C4", "D2")):
                for day, level in ((1, n % 3), (20, (n + i) % 4)):
                    db.session.add(
                        Assessment(
                            trainee_id=user.id,
                            assessor_id=trainer.id,
                            cohort_id=people.cohort_id,
                            site_id="elbtal",
                            competency=competency,
                            evidence_kind="skill",
                            level=level,
                            observed_on=date(2026, 10, day),
                            language="de",
                            content_revision="r",
                            submission_id=f"p{n}-{competency}-{day}",
                            created_at=T0,
                        )
                    )
        db.session.commit()
    login(client, people.trainer)
    reader = PdfReader(io.BytesIO(client.get(f"/cohorts/{people.cohort_id}/report.pdf").data))
    assert 1 <= len(reader.pages) <= 2


def test_rtl_page_mirrors_the_chart(app, people):
    ltr = stacked_bars([("B2", (1, 1, 0, 0))], rtl=False, width=200)
    rtl = stacked_bars([("B2", (1, 1, 0, 0))], rtl=True, width=200)
    for a, b in zip(ltr.bars[0].segments, rtl.bars[0].segments, strict=True):
        assert a.x == pytest.approx(200 - b.x - b.width)  # the same bar, drawn from the other side
    assert (ltr.label_anchor, rtl.label_anchor) == ("end", "start")


def test_hebrew_report_page_renders_right_to_left(app, people, client, cohort_records):
    login(client, people.trainer)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "he"
    html = client.get(f"/cohorts/{people.cohort_id}/report").get_data(as_text=True)
    assert 'dir="rtl"' in html and "0→2" in html


def test_matrix_query_count_does_not_grow_with_cohort_size(app, count_queries):
    from .test_cohorts import _cohort_with

    counts = []
    for size in (5, 120):
        cohort_id, trainer_login = _cohort_with(app, size, "elbtal")
        with app.app_context():
            cohort = db.session.get(Cohort, cohort_id)
            trainer_id = cohort.trainers[0].id
            for n, enrolment in enumerate(cohort.enrolments):
                db.session.add(
                    Assessment(
                        trainee_id=enrolment.user_id,
                        assessor_id=trainer_id,
                        cohort_id=cohort_id,
                        site_id="elbtal",
                        competency="B2",
                        evidence_kind="skill",
                        level=n % 4,
                        observed_on=date(2026, 11, 1),
                        language="de",
                        content_revision="r",
                        submission_id=f"q{size}-{n}",
                        created_at=T0,
                    )
                )
            db.session.commit()
        client = app.test_client()
        login(client, trainer_login)
        per_format = []
        for suffix in ("", ".csv", ".xlsx"):
            with count_queries() as queries:
                assert client.get(f"/cohorts/{cohort_id}/report{suffix}").status_code == 200
            per_format.append(queries.count)
        counts.append(tuple(per_format))
    assert counts[0][0] > 0 and counts[0] == counts[1], counts


# -- the programme report -----------------------------------------------------------------


@pytest.fixture
def programme_records(app, people):
    """November 2026 at Elbtal (German cohort A, English cohort B) and Galil, with records that must
    not count: a revoked assessment, a flag raised by a revoked assessment, October records."""
    from training.assessments.models import SafetyFlag
    from training.cohorts.models import Attendance, Workshop

    from .conftest import make_certificate

    record(app, people, competency="B2", level=0, observed=date(2026, 11, 1), now=T0)  # raises a flag
    record(app, people, competency="B2", level=2, observed=date(2026, 11, 5), now=T0)
    _revoke(app, people, record(app, people, competency="B2", level=3, observed=date(2026, 11, 9), now=T0))
    record(app, people, competency="B1", level=1, observed=date(2026, 10, 20), now=T0)  # before the period
    revoked_flag = record(
        app,
        people,
        trainee=people.other_trainee,
        assessor=people.other_trainer,
        cohort=people.other_cohort_id,
        competency="B2",
        level=0,
        observed=date(2026, 11, 2),
        now=T0,
    )
    _revoke(app, people, revoked_flag)
    with app.app_context():
        flag = db.session.scalars(db.select(SafetyFlag).where(SafetyFlag.trainee_id == people.trainee.id)).one()
        flag.raised_at = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
        flag.closed_at = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # three days later
        flag.closed_by_id = people.coordinator.id
        flag.close_note = "Practised again"
        for enrolment in db.session.scalars(db.select(Enrolment)):
            enrolment.enrolled_at = datetime(2026, 10, 1, tzinfo=UTC)  # the fixture enrols "now"
        workshop = Workshop(cohort_id=people.cohort_id, title="Listening", held_on=date(2026, 11, 3))
        old = Workshop(cohort_id=people.cohort_id, title="Intro", held_on=date(2026, 10, 1))
        db.session.add_all([workshop, old])
        db.session.flush()
        db.session.add(Attendance(workshop_id=workshop.id, user_id=people.trainee.id))
        make_certificate(people, issued_at=datetime(2026, 11, 20, tzinfo=UTC))
        make_certificate(
            people,
            code="DDDD-EEEE-FFFF",
            issued_at=datetime(2026, 11, 21, tzinfo=UTC),
            revoked_at=datetime(2026, 11, 22, tzinfo=UTC),
            revoked_by_id=people.coordinator.id,
            revoke_reason="Issued twice",
        )
        db.session.commit()


def test_programme_numbers_against_the_records(app, people, programme_records):
    from training.reports.programme import programme_report

    with app.app_context():
        report = programme_report(date(2026, 11, 1), date(2026, 11, 30))
    rows = {(r.site_id, r.language): r for r in report.groups}
    assert set(rows) == {("elbtal", "de"), ("elbtal", "en"), ("galil", "he")}
    de, en, he = rows[("elbtal", "de")], rows[("elbtal", "en")], rows[("galil", "he")]
    assert (de.enrolled, de.active, de.completed, de.workshops) == (1, 1, 1, 1)
    assert (de.flags_raised, de.flags_closed, de.median_days_to_close) == (1, 1, 3.0)
    assert (de.certificates_issued, de.certificates_revoked) == (2, 1)
    # Cohort B's only assessment was revoked: not active, and the flag it raised does not count.
    assert (en.enrolled, en.active, en.flags_raised) == (1, 0, 0)
    assert (he.enrolled, he.active, he.certificates_issued) == (1, 0, 0)
    gains = {(g.site_id, g.language, g.competency): g for g in report.gains}
    assert set(gains) == {("elbtal", "de", "B2")}  # B1 was assessed once, before the period
    b2 = gains[("elbtal", "de", "B2")]
    assert (b2.trainees, b2.mean_first, b2.mean_latest, b2.gain) == (1, 0.0, 2.0, 2.0)  # the revoked 3 left out


def test_programme_pdf_and_xlsx_read_back(app, people, client, programme_records):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    login(client, people.admin)
    period = "?from=2026-11-01&to=2026-11-30"
    html = client.get("/reports/programme" + period).get_data(as_text=True)
    assert "0.00→2.00" in html
    book = load_workbook(io.BytesIO(client.get("/reports/programme.xlsx" + period).data))
    sites = list(book["sites"].iter_rows(values_only=True))
    assert sites[0][:5] == ("site", "language", "enrolled", "active", "completed")
    assert ("elbtal", "de", 1, 1, 1, 1, 1, 1, 3, 2, 1) in sites
    gains = list(book["competency gains"].iter_rows(values_only=True))
    assert gains[1] == ("elbtal", "de", "B2", 1, 0, 2, 2)
    response = client.get("/reports/programme.pdf" + period)
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Elbtal" in text and "0.00→2.00" in text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?from=yesterday", "from: enter a date as YYYY-MM-DD."),
        ("?from=2026-12-01&to=2026-11-01", "to: the period ends before it starts."),
    ],
)
def test_programme_period_errors_name_the_field(app, people, client, query, message):
    login(client, people.admin)
    for path in ("/reports/programme", "/reports/programme.pdf", "/reports/programme.xlsx"):
        response = client.get(path + query)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


def test_programme_report_query_count_is_constant(app, people, programme_records, count_queries):
    from .test_cohorts import _cohort_with

    client = app.test_client()
    login(client, people.admin)
    counts = []
    for size in (0, 50):
        if size:
            _cohort_with(app, size, "galil")  # 50 more trainees in a new cohort
        with count_queries() as queries:
            assert client.get("/reports/programme?from=2026-01-01&to=2026-12-31").status_code == 200
        counts.append(queries.count)
    assert 0 < counts[0] == counts[1], counts


# -- a trainee's record ---------------------------------------------------------------------


def test_record_shows_trajectory_without_revoked_and_flags_to_staff_only(app, people, client, cohort_records):
    from pypdf import PdfReader

    from training.cohorts.models import Attendance, Workshop

    with app.app_context():
        held = Workshop(cohort_id=people.cohort_id, title="Listening", held_on=date(2026, 11, 3))
        db.session.add_all([held, Workshop(cohort_id=people.cohort_id, title="Roles", held_on=date(2026, 11, 4))])
        db.session.flush()
        db.session.add(Attendance(workshop_id=held.id, user_id=people.trainee.id))
        db.session.commit()
    url = f"/trainees/{people.trainee.id}/record"
    login(client, people.trainer)
    html = client.get(url).get_data(as_text=True)
    assert '<bdi dir="ltr">0→2</bdi>' in html  # B2: the revoked 3 is not on the trajectory
    assert "Workshops attended: 1 of 2 held." in html
    assert "Safety flags" in html
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(client.get(url + ".pdf").data)).pages)
    assert "0→2" in text and "Safety flags" in text

    trainee_client = app.test_client()
    login(trainee_client, people.trainee)
    own = trainee_client.get(url).get_data(as_text=True)
    assert '<bdi dir="ltr">0→2</bdi>' in own and "Safety flags" not in own
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(trainee_client.get(url + ".pdf").data)).pages)
    assert "0→2" in text and "Safety flags" not in text
    assert trainee_client.get(f"/trainees/{cohort_records}/record").status_code == 404  # someone else's
