"""Public verification: forgiving about how a code is typed; one date, in the site's time zone, everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from training.extensions import db

from .conftest import login, make_certificate
from .test_certificates import pdf_text

CODE = "DTYE-Q8UQ-MPHM"


@pytest.fixture
def certificate(app, people):
    with app.app_context():
        # 23:30 UTC on 3 November is already 4 November in Elbtal (Europe/Berlin).
        make_certificate(
            people, code=CODE, trainee_name="Lena Test", issued_at=datetime(2026, 11, 3, 23, 30, tzinfo=UTC)
        )
        db.session.commit()


@pytest.mark.parametrize(
    "typed",
    ["DTYE-Q8UQ-MPHM", "dtye q8uq mphm", "DTYEQ8UQMPHM", "dtye-q8uq-mphm", " dtye–q8uq—mphm ", "DTYE_Q8UQ_MPHM"],
)
def test_code_is_found_however_it_is_typed(app, certificate, typed):
    public = app.test_client()
    response = public.get("/verify", query_string={"code": typed})
    assert response.status_code == 200, typed
    assert "Lena Test" in response.get_data(as_text=True)
    assert public.get(f"/verify/{typed.strip().replace(' ', '%20')}").status_code == 200


def test_a_different_code_is_still_not_found(app, certificate):
    response = app.test_client().get("/verify", query_string={"code": "DTYE Q8UQ MPHN"})
    assert response.status_code == 404


def test_public_page_and_pdf_show_the_same_site_date(app, people, certificate, tmp_path):
    page = app.test_client().get(f"/verify/{CODE}").get_data(as_text=True)
    assert "November 4, 2026" in page, "the public page dates the certificate where the site is"
    for reader in (people.trainee, people.admin):  # the admin has no site: the certificate's site decides
        client = app.test_client()
        login(client, reader)
        with app.app_context():
            cert_id = db.session.execute(db.text("select id from certificates")).scalar_one()
        text = pdf_text(client.get(f"/certificates/{cert_id}.pdf").data, tmp_path)
        assert "4. November 2026" in text, reader.login  # the certificate is in German
