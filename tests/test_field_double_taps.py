"""Double taps on a slow link: the same POST twice at the same instant, against a live server.

Each test fires pairs of identical requests (threads released by one barrier) at a
threaded server on a real SQLite file or, with PEERPATH_TEST_DATABASE=postgresql,
a real PostgreSQL schema. Both answers must be the same redirect (never a 500) and
the database must hold exactly one record per pair.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from training.extensions import db

from .live_server import PASSWORD, Browser, at_once, build_app, database, double_tap, live_server, request, seed

PAIRS = 20
KIND = "postgresql" if os.environ.get("PEERPATH_TEST_DATABASE") == "postgresql" else "sqlite"


@pytest.fixture
def live(tmp_path):
    """(app, base URL, world) on a fresh database of the kind under test."""
    with database(KIND, tmp_path) as url:
        app = build_app(url, tmp_path, RATELIMIT_ENABLED=False)
        world = seed(app, trainees=2)
        with live_server(app) as base:
            yield app, base, world


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _same_redirect(a, b) -> None:
    assert (a.status, b.status) == (302, 302), (a.status, b.status, a.body[:300], b.body[:300])
    assert a.location == b.location


def _sections(app, n: int) -> list[tuple[str, str]]:
    with app.app_context():
        views = app.extensions["curriculum"].modules("en", None)
        found = [(v.slug, s) for v in views for s in v.section_ids]
    assert len(found) >= n
    return found[:n]


def _prompts(app, n: int) -> list[tuple[str, str]]:
    from training.learning.reflections import prompts_of

    with app.app_context():
        views = app.extensions["curriculum"].modules("en", None)
        found = [(v.slug, "") for v in views] + [(v.slug, p) for v in views for p, _ in prompts_of(v)]
    assert len(found) >= n
    return found[:n]


def test_double_tap_mark_done_gives_one_record_and_no_500(live):
    from training.learning.models import SectionProgress

    app, base, world = live
    phone = Browser(base)
    assert phone.sign_in("trainee0", PASSWORD).status == 302
    for slug, section in _sections(app, PAIRS):
        a, b = double_tap(phone, f"/en/modules/{slug}/sections/{section}/done", {"done": "1"})
        _same_redirect(a, b)
    assert _count(app, SectionProgress, SectionProgress.user_id == world.trainee_ids[0]) == PAIRS


def test_double_tap_first_journal_save_gives_one_entry_and_no_500(live):
    from training.learning.models import Reflection

    app, base, world = live
    phone = Browser(base)
    assert phone.sign_in("trainee0", PASSWORD).status == 302
    for slug, prompt in _prompts(app, PAIRS):
        a, b = double_tap(phone, f"/en/modules/{slug}/journal", {"prompt": prompt, "body": "Mine.\nSecond line."})
        _same_redirect(a, b)
    assert _count(app, Reflection, Reflection.user_id == world.trainee_ids[0]) == PAIRS


def test_double_tap_assessment_form_gives_one_record_and_no_500(live):
    from training.assessments.models import Assessment

    app, base, world = live
    trainer = Browser(base)
    assert trainer.sign_in("trainer", PASSWORD).status == 302
    trainee = world.trainee_ids[0]
    url = f"/cohorts/{world.cohort_id}/trainees/{trainee}/assess?competency=B2"
    for n in range(PAIRS):
        form = {
            "competency": "B2",
            "submission_id": f"tap-{n}",
            "evidence_kind": "skill",
            "level": "2",
            "observed_on": "2026-11-01",
            "action": "save",
        }
        a, b = double_tap(trainer, url, form)
        _same_redirect(a, b)
    assert _count(app, Assessment) == PAIRS


def test_concurrent_level0_ratings_raise_one_open_flag(live):
    """Two trainers' level-0 ratings (different forms) at the same instant: one open flag, no 500."""
    from training.assessments.models import Assessment, SafetyFlag

    app, base, world = live
    trainer = Browser(base)
    assert trainer.sign_in("trainer", PASSWORD).status == 302
    trainee = world.trainee_ids[0]
    url = f"/cohorts/{world.cohort_id}/trainees/{trainee}/assess?competency=B2"
    for n in range(PAIRS // 2):

        def post(tag: str, n: int = n):
            form = {
                "competency": "B2",
                "submission_id": f"zero-{n}-{tag}",
                "evidence_kind": "skill",
                "level": "0",
                "observed_on": "2026-11-01",
                "action": "save",
            }
            return request(base, "POST", url, form, dict(trainer.cookies))

        a, b = at_once([lambda: post("a"), lambda: post("b")])
        _same_redirect(a, b)
    assert _count(app, Assessment) == PAIRS
    assert _count(app, SafetyFlag, SafetyFlag.closed_at.is_(None), SafetyFlag.trainee_id == trainee) == 1
