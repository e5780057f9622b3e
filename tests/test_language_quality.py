"""Language on every page: tags where the language changes, names, dates and durations as a native reader writes them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_babel import force_locale

from training.accounts.models import Role
from training.curriculum import check_curriculum
from training.curriculum.languages import name_in
from training.extensions import db
from training.i18n import format_date, format_datetime, format_minutes, language_choices

from .conftest import login, make_user
from .manuals_support import copy_curriculum


def test_site_section_in_another_language_is_tagged_and_labelled_in_it(app, client):
    with app.app_context():
        make_user("kiran", Role.TRAINEE, "sabarmati", language="gu")
        db.session.commit()
    login(client, "kiran")
    html = client.get("/gu/modules/crisis-safety/").get_data(as_text=True)
    article = re.search(r'<article class="module" lang="(\w+)"', html).group(1)
    section = re.search(r'<section class="section" id="local-route"[^>]*>', html).group(0)
    assert article == "en"  # the module itself is not yet in Gujarati
    assert 'lang="gu"' in section and 'dir="ltr"' in section  # the site's own section is
    local = html[html.index('id="local-route"') :].split("</section>")[0]
    with app.app_context(), force_locale("gu"):
        from flask_babel import gettext

        note = gettext("Note")
    assert note != "Note" and f"{note}" in local and ">Note<" not in local


def test_site_name_in_the_readers_language(app, client):
    store = app.extensions["curriculum"]
    site = store.site("sabarmati")
    assert site.name_in("gu") == "સાબરમતી સાથી નેટવર્ક (કાલ્પનિક)"
    assert site.name_in("en") == "Sabarmati Saathi Network (fictional)"
    assert site.name_in("de") == site.name == site.name_in("gu")  # the default language's name otherwise
    with app.app_context():
        make_user("kiran", Role.TRAINEE, "sabarmati", language="gu")
        db.session.commit()
    login(client, "kiran")
    html = client.get("/gu/").get_data(as_text=True)
    assert "સાબરમતી સાથી નેટવર્ક" in html and "Sabarmati Saathi Network" not in html


def test_validator_accepts_names_per_language_and_names_bad_ones(tmp_path):
    root = copy_curriculum(tmp_path)
    site_yaml = next((root / "sites").glob("*/site.yaml"))
    text = site_yaml.read_text(encoding="utf-8")
    good = re.sub(r"^name: .*$", "name:\n  he: אתר בדיקה\n  en: Test Site", text, flags=re.M)
    site_yaml.write_text(good, encoding="utf-8")
    assert [p for p in check_curriculum(root) if p.level == "error"] == []
    bad = re.sub(r"^name: .*$", "name:\n  xx: Nowhere\n  en: Test Site", text, flags=re.M)
    site_yaml.write_text(bad, encoding="utf-8")
    messages = [str(p) for p in check_curriculum(root) if p.level == "error"]
    assert any("site.yaml:1" in m and "unknown language code 'xx'" in m for m in messages), messages
    assert any("default language 'he'" in m for m in messages), messages


def test_one_name_per_language(app):
    with app.test_request_context():
        switcher = {code: name for code, name, _ in language_choices(("lg", "en"))}
    assert switcher["lg"] == name_in("lg", "en") == name_in("lg", "de") == "Luganda"


def test_dates_and_times_one_way_without_seconds(app):
    moment = datetime(2026, 12, 7, 22, 30, 15, tzinfo=UTC)
    with app.app_context():
        assert format_date(date(2026, 12, 7), locale="de") == "07.12.2026"
        text = format_datetime(moment, locale="de", timezone=ZoneInfo("Africa/Kampala"))
        assert text == "08.12.2026, 01:30"  # the site's day and hour, no seconds
        assert format_date(moment, "long", locale="en", timezone=ZoneInfo("Asia/Kolkata")) == "December 8, 2026"
        assert ":15" not in format_datetime(moment, locale="gu")


def test_durations_in_words_in_every_language(app):
    with app.app_context():
        assert format_minutes(210, "en") == "3 hours 30 minutes"
        # CLDR has no Luganda duration words (Babel printed "3 h"); the catalog has them.
        assert format_minutes(180, "lg") == "essaawa 3"
        assert format_minutes(90, "lg") == "essaawa 1 eddakiika 30"


def test_set_password_page_speaks_the_accounts_language(app, client):
    from training.accounts import services
    from training.accounts.models import TokenPurpose, User

    with app.app_context():
        user = make_user("asha", Role.TRAINEE, "sabarmati", language="gu")
        db.session.commit()
        secret = services.issue_token(None, db.session.get(User, user.id), TokenPurpose.INVITE)
        db.session.commit()
    page = client.get(f"/set-password/{secret}", headers={"Accept-Language": "en-GB,en;q=0.9"})
    html = page.get_data(as_text=True)
    assert '<html lang="gu"' in html
    mismatch = client.post(
        f"/set-password/{secret}",
        data={"password": "a new password", "confirm": "other one"},
        headers={"Accept-Language": "en"},
    )
    with app.app_context(), force_locale("gu"):
        from flask_babel import gettext

        assert gettext("The two passwords are not the same.") in mismatch.get_data(as_text=True)


def test_audit_log_reads_as_words(app, client, people):
    from training.accounts.models import User
    from training.assessments import services
    from training.cohorts.models import Cohort

    with app.app_context():
        store = app.extensions["curriculum"]
        services.record_assessment(
            db.session.get(User, people.trainer.id),
            store,
            cohort=db.session.get(Cohort, people.cohort_id),
            trainee=db.session.get(User, people.trainee.id),
            competency_id="B2",
            evidence_kind="skill",
            level=2,
            observed_on=date(2026, 11, 2),
            submission_id="audit-words",
        )
        db.session.commit()
    login(client, people.admin)
    html = client.get("/audit", headers={"Accept-Language": "en"}).get_data(as_text=True)
    rows = html[html.index("<tbody>") :]
    assert "assessment.record" not in rows and "evidence_kind=" not in rows and "level=2" not in rows
    assert "Assessment recorded" in rows
    assert "Kind of evidence: Observed skill" in rows and "Level: 2 Competent" in rows and "Competency: B2 " in rows
