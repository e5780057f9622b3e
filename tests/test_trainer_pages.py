"""Trainer pages: a shared reflection with its question, links from a trainee, a careful remove, the landing page."""

from __future__ import annotations

from training.accounts.models import User
from training.extensions import db
from training.learning import reflections

from .conftest import login


def test_trainee_page_shows_the_question_links_on_and_asks_before_removing(app, client, people):
    with app.app_context():
        store = app.extensions["curriculum"]
        view = next(v for v in store.modules("de", "elbtal") if reflections.prompts_of(v))
        prompt_id, question = reflections.prompts_of(view)[0]
        reflections.save_reflection(db.session.get(User, people.trainee.id), view, prompt_id, "Mein Gedanke", True)
        db.session.commit()
    login(client, people.trainer)
    html = client.get(f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/").get_data(as_text=True)
    assert "Mein Gedanke" in html and question in html
    assert f" · {prompt_id} · " not in html  # the id is not what a trainer reads
    assert f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/competencies" in html
    assert f"/cohorts/{people.cohort_id}/workshops" in html
    link_form = html.index("/link")
    remove_form = html.index("/remove")
    danger = html.index('<details class="danger-zone">')
    assert link_form < danger < remove_form  # the remove button is behind a second step, apart


def test_trainer_lands_on_their_cohorts(client, people):
    response = login(client, people.trainer)
    assert response.headers["Location"].endswith("/cohorts/")
    trainee = client.application.test_client()
    assert not login(trainee, people.trainee).headers["Location"].endswith("/cohorts/")


def test_suggested_level_is_shown_at_the_level_choice(client, people):
    login(client, people.trainer)
    url = f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/assess?competency=B2"
    page = client.get(url).get_data(as_text=True)
    assert 'formaction="' in page and '#level"' in page  # the answer comes back where the trainer looks
    answer = client.post(url, data={"action": "suggest", "competency": "B2", "evidence_kind": "skill"})
    html = answer.get_data(as_text=True)
    level = html[html.index('<fieldset id="level">') :].split("</fieldset>")[0]
    assert "The checklist suggests" in level
