"""Downloads: one helper writes Content-Disposition, and no raw user text reaches the header."""

from __future__ import annotations

from training.downloads import csv_download, safe_filename

from .conftest import login


def test_file_names_lose_quotes_slashes_and_control_characters():
    assert safe_filename('site-a"b\r\nSet-Cookie: x=1/..\\c.csv') == "site-a-b-Set-Cookie-x-1-..-c.csv"
    assert safe_filename("\u202e\x00") == "download"
    assert safe_filename("Kampala-Ëast.csv") == "Kampala-Ëast.csv"


def test_a_site_id_from_the_url_cannot_break_the_header(client, people):
    login(client, people.admin)  # admins may ask for any site id, but only known sites answer
    response = client.get("/sites/x%22%0d%0aSet-Cookie:%20a=b/assessments.csv")
    assert response.status_code == 404  # validated before it gets near a header
    assert not any(c.startswith("a=b") for c in response.headers.getlist("Set-Cookie"))
    assert "Content-Disposition" not in response.headers
    with client.application.test_request_context():
        sent = csv_download("a,b\n", 'site-x"\r\nSet-Cookie: a=b-assessments.csv')
    assert sent.headers["Content-Disposition"] == "attachment; filename=site-x-Set-Cookie-a-b-assessments.csv"


def test_non_ascii_names_are_sent_as_rfc_6266_utf8(client, people):
    with client.application.test_request_context():
        response = csv_download("a,b\n", "site-gal\u00eel-assessments.csv")
    disposition = response.headers["Content-Disposition"]
    assert "filename=site-galil-assessments.csv" in disposition
    assert "filename*=UTF-8''site-gal%C3%AEl-assessments.csv" in disposition
    assert response.content_type == "text/csv; charset=utf-8"
