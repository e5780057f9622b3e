"""Certificates: issued only when everything is achieved, a real PDF in the trainee's language, public verification."""

from __future__ import annotations

import re
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from training.accounts.models import User
from training.assessments import services
from training.assessments.models import Assessment, Certificate
from training.cohorts.models import Cohort
from training.extensions import db

from .conftest import login
from .pages import texts


def achieve_everything(app, trainer_id: int, trainee_id: int, cohort_id: int, skip: str | None = None) -> None:
    with app.app_context():
        store = app.extensions["curriculum"]
        trainer, trainee = db.session.get(User, trainer_id), db.session.get(User, trainee_id)
        cohort = db.session.get(Cohort, cohort_id)
        for competency in store.framework("en").competencies:
            for kind in competency.evidence_kinds:
                if competency.id == skip:
                    continue
                services.record_assessment(
                    trainer,
                    store,
                    cohort=cohort,
                    trainee=trainee,
                    competency_id=competency.id,
                    evidence_kind=kind,
                    level=2,
                    observed_on=date(2026, 11, 2),
                    submission_id=f"{trainee_id}-{competency.id}-{kind}",
                )
        db.session.commit()


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_certificate_needs_every_competency(app, people, client):
    achieve_everything(app, people.trainer.id, people.trainee.id, people.cohort_id, skip="E3")
    login(client, people.coordinator)
    assert (
        "Trainee"
        not in client.get("/overview").get_data(as_text=True).split("Ready for a certificate")[1].split("<h2>")[0]
    )
    response = client.post(
        f"/certificates/issue/{people.trainee.id}", data={f"t{people.trainee.id}-trainer": people.trainer.id}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.query(Certificate).count() == 0


def issue(app, client, people, trainee=None, trainer=None, cohort=None, coordinator=None):
    trainee, trainer = trainee or people.trainee, trainer or people.trainer
    achieve_everything(app, trainer.id, trainee.id, cohort or people.cohort_id)
    login(client, coordinator or people.coordinator)
    overview = client.get("/overview").get_data(as_text=True)
    assert trainee.name in overview.split("Ready for a certificate")[1].split("<h2>")[0]
    response = client.post(f"/certificates/issue/{trainee.id}", data={f"t{trainee.id}-trainer": trainer.id})
    assert response.status_code == 302
    with app.app_context():
        cert = db.session.query(Certificate).one()
        return cert.id, cert.code


def test_issue_download_and_verify(app, people, client, tmp_path):
    cert_id, code = issue(app, client, people)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    response = client.get(f"/certificates/{cert_id}.pdf")
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    assert people.trainee.name in text and code in text
    assert people.trainer.name in text and people.coordinator.name in text
    assert len(PdfReader(__import__("io").BytesIO(response.data)).pages) == 1
    client.post("/logout")
    public = app.test_client()
    page = public.get(f"/verify/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Valid certificate" in texts(html, "strong")
    assert people.trainee.name in html and "Genesungsbegleitung Elbtal" in html
    main = html[html.index("<main") : html.index("</main>")]
    for secret in (people.trainer.name, people.coordinator.name, people.trainee.login, "B2", "Listening", "level"):
        assert secret not in main, secret
    assert public.get("/verify/ZZZZ-ZZZZ-ZZZZ").status_code == 404
    assert public.get(f"/verify?code={code.lower()}").status_code == 200


def test_trainee_downloads_own_certificate_others_cannot(app, people, client):
    cert_id, _code = issue(app, client, people)
    client.post("/logout")
    login(client, people.trainee)
    assert client.get(f"/certificates/{cert_id}.pdf").status_code == 200
    assert "Download (PDF)" in client.get("/me/competencies").get_data(as_text=True)
    client.post("/logout")
    for other in (people.other_trainee, people.other_trainer, people.foreign_coordinator, people.foreign_trainee):
        login(client, other)
        assert client.get(f"/certificates/{cert_id}.pdf").status_code == 404
        client.post("/logout")


def test_revoke_certificate_with_reason(app, people, client):
    cert_id, code = issue(app, client, people)
    assert client.post(f"/certificates/{cert_id}/revoke", data={"reason": "no"}).status_code == 200  # too short
    with app.app_context():
        assert db.session.query(Certificate).one().valid
    response = client.post(
        f"/certificates/{cert_id}/revoke", data={"reason": "Issued by mistake before the final review"}
    )
    assert response.status_code == 302
    html = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "This certificate was revoked" in html
    with app.app_context():
        assert db.session.query(Certificate).one().revoke_reason == "Issued by mistake before the final review"


def test_revoked_assessment_flags_certificate_for_review_and_confirm(app, people, client):
    cert_id, _code = issue(app, client, people)
    with app.app_context():
        assessment = db.session.query(Assessment).filter_by(competency="B2").one()
        services.revoke_assessment(db.session.get(User, people.trainer.id), assessment, "Wrong trainee on the form")
        db.session.commit()
    assert "needs review" in client.get("/overview").get_data(as_text=True)
    response = client.post(f"/certificates/{cert_id}/revoke?confirm=1", data={"reason": "Re-assessed on 3 Nov, stands"})
    assert response.status_code == 302
    with app.app_context():
        cert = db.session.get(Certificate, cert_id)
        assert not cert.needs_review and cert.valid


def test_hebrew_certificate_is_right_to_left_and_extractable(app, people, client, tmp_path):
    with app.app_context():
        trainee = db.session.get(User, people.foreign_trainee.id)
        trainee.name, trainee.language = "שירה כהן", "he"
        db.session.commit()
        trainee = db.session.get(User, people.foreign_trainee.id)
        db.session.expunge(trainee)
    cert_id, code = issue(
        app,
        client,
        people,
        trainee=trainee,
        trainer=people.foreign_trainer,
        cohort=people.foreign_cohort_id,
        coordinator=people.foreign_coordinator,
    )
    data = client.get(f"/certificates/{cert_id}.pdf").data
    text = pdf_text(data, tmp_path)
    assert code in text
    # pdftotext writes right-to-left runs in logical order when they are shaped correctly.
    assert "שירה" in text and "כהן" in text
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "certificate.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert "Hebrew" in fonts and all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip())


@pytest.mark.parametrize("role", ["trainer", "trainee", "other_trainer"])
def test_only_coordinators_issue(app, people, client, role):
    achieve_everything(app, people.trainer.id, people.trainee.id, people.cohort_id)
    login(client, getattr(people, role))
    response = client.post(
        f"/certificates/issue/{people.trainee.id}", data={f"t{people.trainee.id}-trainer": people.trainer.id}
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.query(Certificate).count() == 0
