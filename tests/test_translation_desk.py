"""The desk: review steps in order by different people, grants per language, the side-by-side page."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from training.accounts.models import Role
from training.curriculum import CurriculumStore
from training.demo import seed_source_revisions
from training.extensions import db
from training.permissions import may_review_translation, may_translate, may_use_translation_desk
from training.translations import services
from training.translations.models import TranslationStep, TranslatorGrant

from .conftest import REAL_CURRICULUM, login, make_app, make_user

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk_app(database_url, tmp_path):
    """The app on a copy of the shipped curriculum (marking current writes files), with translators."""
    root = tmp_path / "curriculum"
    shutil.copytree(REAL_CURRICULUM, root)
    app = make_app(database_url, tmp_path, curriculum=root)
    seed_source_revisions(app.extensions["curriculum"])  # as `flask demo load` does: no Git in this copy
    with app.app_context():
        users = {
            "admin": make_user("admin", Role.ADMIN, None),
            "katrin": make_user("katrin", Role.TRAINER, "elbtal"),  # German translator
            "noa": make_user("noa", Role.TRAINER, "galil"),  # Hebrew translator
            "dana": make_user("dana", Role.TRAINEE, "galil"),  # Hebrew peer reader
            "grace": make_user("grace", Role.COORDINATOR, "kampala-east"),  # Luganda translator and approver
            "joseph": make_user("joseph", Role.TRAINER, "kampala-east"),  # Luganda peer reader
            "lena": make_user("lena", Role.TRAINEE, "elbtal"),  # no grant
        }
        grants = [("katrin", "de", False), ("noa", "he", False), ("dana", "he", False), ("grace", "lg", True)]
        grants.append(("joseph", "lg", False))
        for login_name, lang, approver in grants:
            db.session.add(TranslatorGrant(user_id=users[login_name].id, lang=lang, may_approve=approver))
        db.session.commit()
    app.config["TEST_ROOT"] = root
    return app


def user(login_name):
    from sqlalchemy import select

    from training.accounts.models import User

    return db.session.scalar(select(User).where(User.login == login_name))


def test_grants_are_per_language(desk_app):
    with desk_app.app_context():
        katrin, noa, lena, admin = user("katrin"), user("noa"), user("lena"), user("admin")
        steps = ("translated", "peer-reviewed", "approved")
        assert may_translate(katrin, "de") and not may_translate(katrin, "he")
        assert may_translate(noa, "he") and not may_translate(noa, "de")
        assert not may_review_translation(katrin, "he", "translated", steps)
        assert not may_review_translation(noa, "he", "approved", steps)  # approving needs may_approve
        assert may_review_translation(user("grace"), "lg", "approved", steps)
        assert may_review_translation(admin, "he", "approved", steps)
        assert not may_use_translation_desk(lena) and may_use_translation_desk(katrin)


def test_steps_in_order_by_different_people_then_mark_current(desk_app):
    with desk_app.app_context():
        store = desk_app.extensions["curriculum"]
        grace, joseph = user("grace"), user("joseph")
        with pytest.raises(services.NotAllowed):
            services.record_step(user("katrin"), store, "peer-role", "lg", "translated", "", NOW)
        with pytest.raises(services.ReviewError, match="the next step is 'translated'"):
            services.record_step(joseph, store, "peer-role", "lg", "peer-reviewed", "", NOW)
        services.record_step(grace, store, "peer-role", "lg", "translated", "Added the new key point.", NOW)
        with pytest.raises(services.ReviewError, match="another person"):
            services.record_step(grace, store, "peer-role", "lg", "peer-reviewed", "", NOW)
        with pytest.raises(services.ReviewError, match="cannot be marked current"):
            services.mark_reviewed_current(grace, store, "peer-role", "lg", NOW)
        back = ("peer-role-lg-back.txt", b"Back-translation into English.")
        services.record_step(joseph, store, "peer-role", "lg", "peer-reviewed", "Reads well.", NOW, back)
        with pytest.raises(services.NotAllowed):
            services.record_step(joseph, store, "peer-role", "lg", "approved", "", NOW)  # no may_approve
        services.record_step(user("admin"), store, "peer-role", "lg", "approved", "", NOW)
        state = services.workflow(store, "peer-role", "lg")
        assert state.done == ("translated", "peer-reviewed", "approved") and not state.current
        path, revision = services.mark_reviewed_current(grace, store, "peer-role", "lg", NOW)
        assert f"source_revision: {revision}" in path.read_text()
        assert services.workflow(store, "peer-role", "lg").current
        assert services.desk_cell(store, "peer-role", "lg").state == "current"


def test_review_history_is_append_only(desk_app):
    with desk_app.app_context():
        store = desk_app.extensions["curriculum"]
        services.record_step(user("grace"), store, "peer-role", "lg", "translated", "first", NOW)
        for statement in ("UPDATE translation_steps SET note = 'changed'", "DELETE FROM translation_steps"):
            with pytest.raises(DatabaseError), db.session.begin_nested():
                db.session.execute(text(statement))
        db.session.rollback()
        assert db.session.query(TranslationStep).one().note == "first"


def test_desk_lists_only_granted_languages_with_counts(desk_app):
    client = desk_app.test_client()
    login(client, "grace")
    page = client.get("/desk/").get_data(as_text=True)
    assert "Luganda" in page and "Deutsch" not in page and "עברית" not in page
    assert "1 changed section" in page and "23 words to translate" in page  # peer-role, outdated
    assert "words to translate" in page  # missing modules: the whole source
    login(client, "lena")
    assert desk_app.test_client().get("/desk/").status_code in (302, 401)  # not signed in
    other = desk_app.test_client()
    login(other, "lena")
    assert other.get("/desk/").status_code == 404
    assert other.get("/desk/peer-role/lg").status_code == 404


def test_german_translator_cannot_touch_hebrew(desk_app):
    client = desk_app.test_client()
    login(client, "katrin")
    assert client.get("/desk/peer-role/de").status_code == 200
    assert client.get("/desk/peer-role/he").status_code == 404
    response = client.post("/desk/peer-role/he/steps", data={"step": "translated", "note": "x"})
    assert response.status_code == 404
    assert client.post("/desk/peer-role/he/current").status_code == 404
    with desk_app.app_context():
        assert db.session.query(TranslationStep).count() == 0


def test_side_by_side_page_marks_the_changed_section(desk_app):
    client = desk_app.test_client()
    login(client, "grace")
    page = client.get("/desk/peer-role/lg").get_data(as_text=True)
    assert 'class="sbs-row sbs-changed" id="s-staying-in-role"' in page
    assert 'class="sbs-row" id="s-what-is-peer-support"' in page
    assert "<ins>" in page and "Look after yourself too" in page
    assert "<code>#staying-in-role</code>" in page and "<code>reflection #hardest-request</code>" in page
    assert 'class="sbs-target" lang="lg" dir="ltr"' in page


def test_steps_through_the_web_with_a_back_translation(desk_app):
    grace, joseph = desk_app.test_client(), desk_app.test_client()
    login(grace, "grace")
    login(joseph, "joseph")
    assert grace.post("/desk/peer-role/lg/steps", data={"step": "translated", "note": "done"}).status_code == 302
    upload = {"step": "peer-reviewed", "note": "ok", "attachment": (io.BytesIO(b"back"), "back.txt")}
    assert joseph.post("/desk/peer-role/lg/steps", data=upload, content_type="multipart/form-data").status_code == 302
    with desk_app.app_context():
        entry = db.session.query(TranslationStep).filter_by(step="peer-reviewed").one()
        step_id = entry.id
    download = grace.get(f"/desk/peer-role/lg/steps/{step_id}/attachment")
    assert download.status_code == 200 and download.data == b"back"
    page = grace.get("/desk/peer-role/lg").get_data(as_text=True)
    assert "Record: approved" in page and "back.txt" in page
    assert grace.post("/desk/peer-role/lg/steps", data={"step": "approved"}).status_code == 302
    assert grace.post("/desk/peer-role/lg/current").status_code == 302
    root = desk_app.config["TEST_ROOT"]
    source = CurriculumStore(root).doc("peer-role", "en")
    assert f"source_revision: {source.revision}" in (root / "modules/peer-role/lg.md").read_text()


def test_unknown_step_is_a_message_not_a_missing_page(desk_app):
    client = desk_app.test_client()
    login(client, "grace")
    response = client.post("/desk/peer-role/lg/steps", data={"step": "proofread"}, follow_redirects=True)
    assert response.status_code == 200
    assert "unknown review step &#39;proofread&#39;" in response.get_data(as_text=True)
    with desk_app.app_context():
        assert db.session.query(TranslationStep).count() == 0
