"""The paper loop: printable sign-off sheets and templates, CSV import with a dry run, every bad line named."""

from __future__ import annotations

import base64
import csv
import io
import re
import subprocess

from training.assessments.models import Assessment
from training.cohorts.models import Attendance, Workshop
from training.extensions import db

from .conftest import login


def upload(client, url: str, text: str | bytes, action: str = "check"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        url, data={"action": action, "file": (io.BytesIO(data), "sheet.csv")}, content_type="multipart/form-data"
    )


def confirm(client, url: str, html: str):
    payload = re.search(r'name="payload" value="([^"]*)"', html).group(1)
    return client.post(url, data={"action": "import", "payload": payload})


def test_template_lists_every_trainee_competency_and_evidence_kind(app, client, people):
    with app.app_context():
        needed = sum(len(c.evidence_kinds) for c in app.extensions["curriculum"].framework("de").competencies)
    login(client, people.trainer)
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/cohorts/{people.cohort_id}/signoff.csv").get_data().decode("utf-8-sig"))
        )
    )
    assert {r["login"] for r in rows} == {"trainee"}
    assert len(rows) == needed == 23  # 16 competencies, 7 of them need two kinds of evidence
    assert {"competency": "A1", "evidence_kind": "knowledge"}.items() <= rows[0].items()


def test_signoff_sheet_pdf_in_the_cohort_language(client, people, tmp_path):
    login(client, people.trainer)
    response = client.get(f"/cohorts/{people.cohort_id}/signoff.pdf?competency=B2")
    assert response.mimetype == "application/pdf"
    (tmp_path / "s.pdf").write_bytes(response.data)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "B2" in text and people.trainee.name in text and "Zuhören" in text  # German competency title
    assert client.get(f"/cohorts/{people.cohort_id}/signoff.pdf?competency=Z9").status_code == 404


def test_dry_run_names_every_bad_line_and_imports_nothing(client, app, people):
    login(client, people.trainer)
    url = f"/cohorts/{people.cohort_id}/import/assessments"
    sheet = (
        "login,competency,evidence_kind,level,observed_on,note\n"
        "trainee,B2,skill,2,2026-11-03,Listened well\n"
        "nobody,B2,skill,2,2026-11-03,\n"
        "trainee,Z9,skill,5,yesterday,\n"
        "trainee,B2,practice,2,03.11.2026,\n"
        "trainee,B2,skill,2,2026-11-03,again\n"
    )
    html = upload(client, url, sheet).get_data(as_text=True)
    assert "Nothing was imported" in html
    assert "Line 3: nobody is not a trainee of this cohort." in html
    assert "Line 4: Unknown competency Z9." in html and "Line 4: Level must be 0, 1, 2 or 3." in html
    assert "Line 4: Write the date like 2026-11-03 or 03.11.2026." in html
    assert "Line 5: Evidence kind must be one of: Beobachtete Fertigkeit (skill)." in html  # the sheet's words
    assert "Line 6: The same as line 2." in html
    assert 'name="payload"' not in html
    with app.app_context():
        assert db.session.query(Assessment).count() == 0


def test_good_file_imports_after_confirmation_once(client, app, people):
    login(client, people.trainer)
    url = f"/cohorts/{people.cohort_id}/import/assessments"
    sheet = (
        "\ufefflogin;name;competency;evidence_kind;level;observed_on;note\n"  # Excel: BOM and semicolons
        "trainee;T;B2;skill;0;03.11.2026;Gave advice instead of listening\n"
        "trainee;T;A1;knowledge;;;\n"  # a template line left as it was: not assessed, skipped
        "trainee;T;A3;knowledge;2;2026-11-03;\n"
    )
    preview = upload(client, url, sheet).get_data(as_text=True)
    assert "All 2 lines are correct." in preview
    with app.app_context():
        assert db.session.query(Assessment).count() == 0  # the dry run saves nothing
    assert confirm(client, url, preview).status_code == 302
    assert confirm(client, url, preview).status_code == 302  # sent twice: still one record per line
    with app.app_context():
        rows = db.session.query(Assessment).order_by(Assessment.competency).all()
        assert [(a.competency, a.level, a.assessor_id) for a in rows] == [
            ("A3", 2, people.trainer.id),
            ("B2", 0, people.trainer.id),
        ]
        from training.assessments.models import SafetyFlag

        assert db.session.query(SafetyFlag).count() == 1  # a level 0 on paper raises a flag too


def test_bad_files_get_clear_messages(client, people):
    login(client, people.trainer)
    url = f"/cohorts/{people.cohort_id}/import/assessments"
    assert "save it as" in upload(client, url, "login,x\n\xff".encode("latin-1")).get_data(as_text=True)
    assert "Line 1: Missing column(s): competency, evidence_kind, observed_on." in upload(
        client, url, "login,level\ntrainee,2\n"
    ).get_data(as_text=True)
    assert "Unknown column(s): colour." in upload(
        client, url, "login,competency,evidence_kind,level,observed_on,colour\n"
    ).get_data(as_text=True)
    assert "Line 2: This line has 2 values; the header has 5 columns." in upload(
        client, url, "login,competency,evidence_kind,level,observed_on\ntrainee,B2\n"
    ).get_data(as_text=True)
    assert "Choose a CSV file." in client.post(url, data={"action": "check"}).get_data(as_text=True)
    forged = client.post(url, data={"action": "import", "payload": "not base64!"})
    assert forged.status_code == 200 and "Choose a CSV file." in forged.get_data(as_text=True)


def test_only_the_cohorts_trainers_import(client, people):
    for who in (people.other_trainer, people.trainee, people.foreign_coordinator):
        login(client, who)
        assert client.get(f"/cohorts/{people.cohort_id}/import/assessments").status_code == 404
        client.post("/logout")


def test_attendance_import(client, app, people):
    with app.app_context():
        workshop = Workshop(cohort_id=people.cohort_id, title="W1", held_on=__import__("datetime").date(2026, 11, 3))
        db.session.add(workshop)
        db.session.commit()
        workshop_id = workshop.id
    login(client, people.trainer)
    template = (
        client.get(f"/cohorts/{people.cohort_id}/workshops/{workshop_id}/register.csv").get_data().decode("utf-8-sig")
    )
    assert template.splitlines()[0] == "login,name,present" and "trainee," in template
    url = f"/cohorts/{people.cohort_id}/workshops/{workshop_id}/import"
    bad = upload(client, url, "login,present\ntrainee,maybe\n").get_data(as_text=True)
    assert "Line 2: Present must be 1 or 0" in bad
    preview = upload(client, url, "login,name,present\ntrainee,T,ja\n").get_data(as_text=True)  # German "yes"
    assert confirm(client, url, preview).status_code == 302
    with app.app_context():
        assert [a.user_id for a in db.session.query(Attendance).all()] == [people.trainee.id]
    payload = base64.b64encode(b"login,present\ntrainee,0\n").decode()
    client.post(url, data={"action": "import", "payload": payload})
    with app.app_context():
        assert db.session.query(Attendance).count() == 0


def test_same_observations_in_another_file_are_not_recorded_twice(client, app, people):
    login(client, people.trainer)
    url = f"/cohorts/{people.cohort_id}/import/assessments"
    first = "login,competency,evidence_kind,level,observed_on,note\ntrainee,B2,skill,2,2026-11-03,ok\n"
    confirm(client, url, upload(client, url, first).get_data(as_text=True))
    # Saved again by a spreadsheet (CRLF, BOM, other date spelling) with one new line added.
    second = (
        "\ufefflogin,competency,evidence_kind,level,observed_on,note\r\n"
        "trainee,B2,skill,2,03.11.2026,ok\r\n"
        "trainee,A3,knowledge,2,2026-11-04,\r\n"
    )
    preview = upload(client, url, second).get_data(as_text=True)
    assert "All 1 lines are correct." in preview and "1 more lines were imported before" in preview
    confirm(client, url, preview)
    html = upload(client, url, second).get_data(as_text=True)
    assert "Every line of this file was imported already" in html
    with app.app_context():
        assert db.session.query(Assessment).count() == 2


def test_csv_oddities_are_named_not_crashes(client, people):
    login(client, people.trainer)
    url = f"/cohorts/{people.cohort_id}/import/assessments"
    stray_quote = (
        "login,competency,evidence_kind,level,observed_on,note\n"
        + 'trainee,B2,skill,2,2026-11-03,"unclosed\n'
        + "x" * 200_000
        + "\n"
    )
    html = upload(client, url, stray_quote).get_data(as_text=True)
    assert "cannot be read" in html or "values; the header has" in html
    many_bad = "login,competency,evidence_kind,level,observed_on\n" + "a,b\n" * 20_000
    response = upload(client, url, many_bad)
    assert response.status_code == 200 and "Stopped after 100 problems" in response.get_data(as_text=True)
    assert len(response.data) < 200_000
    client.application.config["PAPER_IMPORT_MAX_BYTES"] = 100_000  # (a real 1.4 MB body would spool to disk)
    too_big = "login,competency,evidence_kind,level,observed_on\n" + "trainee,B2,skill,2,2026-11-03\n" * 5_000
    assert "The file is too large (at most 0.1 MB)" in upload(client, url, too_big).get_data(as_text=True)
    client.application.config["PAPER_IMPORT_MAX_BYTES"] = 1_400_000
    old = "login,competency,evidence_kind,level,observed_on\ntrainee,B2,skill,2,1999-12-31\n"
    assert "Line 2: Write the date like" in upload(client, url, old).get_data(as_text=True)
    multiline = (
        "login,competency,evidence_kind,level,observed_on,note\n"
        'trainee,B2,skill,2,2026-11-03,"two\nlines"\n'
        "trainee,Z9,skill,2,2026-11-03,\n"
    )
    assert "Line 3: Unknown competency Z9." in upload(client, url, multiline).get_data(as_text=True)


def test_saving_a_register_keeps_marks_of_former_trainees(client, app, people):
    from datetime import date

    with app.app_context():
        workshop = Workshop(cohort_id=people.cohort_id, title="W", held_on=date(2026, 11, 3))
        db.session.add(workshop)
        db.session.flush()
        db.session.add(Attendance(workshop_id=workshop.id, user_id=people.trainee.id))
        db.session.commit()
        workshop_id = workshop.id
    login(client, people.trainer)
    client.post(f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/remove")
    client.post(f"/cohorts/{people.cohort_id}/workshops/{workshop_id}/attendance", data={})
    url = f"/cohorts/{people.cohort_id}/workshops/{workshop_id}/import"
    client.post(url, data={"action": "import", "payload": base64.b64encode(b"login,present\n").decode()})
    with app.app_context():
        assert [a.user_id for a in db.session.query(Attendance).all()] == [people.trainee.id]
