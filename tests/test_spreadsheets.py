"""Spreadsheets: CSV that Excel opens in every language, .xlsx beside it, imports in the sheet's own words."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from training.accounts.models import User
from training.assessments.models import Assessment
from training.extensions import db

from .conftest import login
from .test_paper import confirm, upload


def test_csv_has_a_byte_order_mark_and_the_locales_separator(client, people):
    login(client, people.trainer)
    url = f"/cohorts/{people.cohort_id}/progress.csv"
    english = client.get(url, headers={"Accept-Language": "en"}).get_data()
    assert english.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the mark
    assert english.decode("utf-8-sig").splitlines()[0].startswith("name,login,")
    client.post("/language", data={"language": "de", "next": "/"})
    german = client.get(url).get_data().decode("utf-8-sig")
    header = german.splitlines()[0]
    assert header.startswith("name;login;")  # German Excel splits on ';' (the decimal mark is ',')
    rows = list(csv.DictReader(io.StringIO(german), delimiter=";"))
    assert rows[0]["login"] == "trainee"


def test_every_export_is_offered_as_xlsx(client, people):
    login(client, people.trainer)
    dashboard = client.get(f"/cohorts/{people.cohort_id}/").get_data(as_text=True)
    assert "progress.csv?format=xlsx" in dashboard
    response = client.get(f"/cohorts/{people.cohort_id}/progress.csv?format=xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].endswith("filename=cohort-1-progress.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("name", "login") and rows[1][1] == "trainee"
    signoff = load_workbook(io.BytesIO(client.get(f"/cohorts/{people.cohort_id}/signoff.csv?format=xlsx").data))
    assert next(signoff.active.iter_rows(values_only=True))[0] == "login"


def test_xlsx_keeps_formula_like_text_as_text(app, client, people):
    with app.app_context():
        trainee = db.session.get(User, people.trainee.id)
        trainee.name = '=HYPERLINK("http://x","y")'
        db.session.commit()
    login(client, people.trainer)
    data = client.get(f"/cohorts/{people.cohort_id}/progress.csv?format=xlsx").data
    cell = load_workbook(io.BytesIO(data)).active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_import_accepts_the_words_printed_on_the_german_sheet(app, client, people):
    login(client, people.trainer)
    url = f"/cohorts/{people.cohort_id}/import/assessments"
    sheet = (
        "login;competency;evidence_kind;level;observed_on;note\n"
        "trainee;B2;Beobachtete Fertigkeit;2 Kompetent;03.11.2026;Hat gut zugehört\n"
        "trainee;A1;wissen;Kompetent;03.11.2026;\n"
    )
    preview = upload(client, url, sheet).get_data(as_text=True)
    assert "Line 2:" not in preview and "Line 3:" not in preview, preview[:2000]
    confirm(client, url, preview)
    with app.app_context():
        rows = db.session.query(Assessment).order_by(Assessment.competency).all()
        assert [(a.competency, a.evidence_kind, a.level) for a in rows] == [("A1", "knowledge", 2), ("B2", "skill", 2)]
        assert rows[0].observed_on == date(2026, 11, 3)
