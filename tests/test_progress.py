"""Trainee progress and reflections: one tap, language-independent, never lost; reflections private."""

from __future__ import annotations

import csv
import io
import json

from training.curriculum import CurriculumStore
from training.extensions import db
from training.learning.models import Reflection, SectionProgress
from training.learning.progress import continue_point, curriculum_progress, done_for, module_progress

from .conftest import login


def done_rows(app, user_id):
    with app.app_context():
        return sorted((r.module, r.section) for r in db.session.query(SectionProgress).filter_by(user_id=user_id))


def test_mark_done_with_a_plain_post_and_undo(client, app, people):
    login(client, people.trainee)
    response = client.post("/de/modules/peer-role/sections/what-peer-workers-do/done")
    # On to the next section: the reader has finished this one.
    assert response.status_code == 302 and response.headers["Location"].endswith("#how-the-role-differs")
    client.post("/de/modules/peer-role/sections/what-peer-workers-do/done")  # a double tap
    assert done_rows(app, people.trainee.id) == [("peer-role", "what-peer-workers-do")]
    page = client.get("/en/modules/peer-role/").get_data(as_text=True)
    assert "1 of 5 sections done" in page
    client.post("/de/modules/peer-role/sections/what-peer-workers-do/done", data={"done": "0"})
    assert done_rows(app, people.trainee.id) == []


def test_progress_is_the_same_in_every_language(client, app, people):
    login(client, people.trainee)
    client.post("/de/modules/peer-role/sections/starting-together/done")
    with app.app_context():
        store = app.extensions["curriculum"]
        from training.accounts.models import User

        done = done_for(db.session.get(User, people.trainee.id))
        for lang in ("en", "de", "he", "gu"):
            assert module_progress(store.module("peer-role", lang), done).done == 1


def test_unknown_section_or_module_is_404_and_nothing_stored(client, app, people):
    login(client, people.trainee)
    assert client.post("/de/modules/peer-role/sections/nope/done").status_code == 404
    assert client.post("/de/modules/nope/sections/starting-together/done").status_code == 404
    assert done_rows(app, people.trainee.id) == []


def test_staff_cannot_mark_progress(client, people):
    login(client, people.trainer)
    assert client.post("/de/modules/peer-role/sections/starting-together/done").status_code == 404


def test_retired_sections_are_kept_and_reported(fixture_app, tmp_path):
    store: CurriculumStore = fixture_app.extensions["curriculum"]
    view = store.module("basics", "en")
    done = {"basics": {"role": None, "old-section": None}}
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    done = {"basics": {"role": now, "old-section": now}}
    progress = module_progress(view, done)
    assert progress.done == 1 and progress.total == 2 and progress.percent == 50
    assert progress.retired == ("old-section",)


def test_continue_where_you_left_off(client, people):
    login(client, people.trainee)
    client.post("/de/modules/communication/sections/first-meetings/done")
    html = client.get("/de/").get_data(as_text=True)
    assert 'href="/de/modules/communication/#open-questions"' in html


def test_continue_point_moves_to_next_module(fixture_app):
    from datetime import UTC, datetime

    store = fixture_app.extensions["curriculum"]
    now = datetime.now(UTC)
    point = continue_point(store, "en", None, {"basics": {"role": now, "limits": now}})
    assert point.view.slug == "listening" and point.section_id == "why"
    rows, overall = curriculum_progress(store.modules("en"), {"basics": {"role": now, "limits": now}})
    assert overall == 40 and [r.percent for r in rows] == [100, 0]


def test_reflection_is_private_escaped_and_editable(client, app, people):
    login(client, people.trainee)
    hostile = "<script>alert('x')</script> **not bold**"
    response = client.post("/de/modules/peer-role/journal", data={"prompt": "why-this-work", "body": hostile})
    assert response.status_code == 302
    page = client.get("/de/journal").get_data(as_text=True)
    assert "&lt;script&gt;" in page and "<script>alert" not in page and "<strong>not bold" not in page
    client.post("/de/modules/peer-role/journal", data={"prompt": "why-this-work", "body": "Edited text"})
    with app.app_context():
        rows = db.session.query(Reflection).filter_by(user_id=people.trainee.id).all()
        assert [(r.prompt, r.body, r.shared) for r in rows] == [("why-this-work", "Edited text", False)]


def test_reflection_for_unknown_prompt_is_refused_and_text_kept(client, app, people):
    login(client, people.trainee)
    response = client.post("/en/modules/peer-role/journal", data={"prompt": "ghost", "body": "keep me"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This reflection prompt does not exist in the module." in html
    with app.app_context():
        assert db.session.query(Reflection).count() == 0


def test_trainer_sees_only_shared_reflections_of_their_trainees(client, app, people):
    login(client, people.trainee)
    client.post("/de/modules/peer-role/journal", data={"prompt": "", "body": "Private thoughts"})
    client.post(
        "/de/modules/peer-role/journal", data={"prompt": "why-this-work", "body": "Shared thoughts", "shared": "1"}
    )
    client.post("/logout")
    login(client, people.trainer)
    html = client.get(f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/").get_data(as_text=True)
    assert "Shared thoughts" in html and "Private thoughts" not in html
    client.post("/logout")
    login(client, people.coordinator)  # coordinators run the site, but reflections are shared with trainers only
    html = client.get(f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/").get_data(as_text=True)
    assert "Shared thoughts" not in html and "Private thoughts" not in html
    client.post("/logout")
    login(client, people.other_trainer)
    assert client.get(f"/cohorts/{people.cohort_id}/trainees/{people.trainee.id}/").status_code == 404


def test_download_my_data_json_and_csv(client, people):
    login(client, people.trainee)
    client.post("/de/modules/peer-role/sections/starting-together/done")
    client.post("/de/modules/peer-role/journal", data={"prompt": "", "body": "Zeilen\nmit Umlauten äöü"})
    data = json.loads(client.get("/account/my-data.json").get_data(as_text=True))
    assert data["profile"]["login"] == "trainee"
    assert data["progress"][0]["module"] == "peer-role" and data["progress"][0]["section"] == "starting-together"
    assert data["reflections"][0]["text"] == "Zeilen\nmit Umlauten äöü"
    assert data["cohorts"][0]["cohort"] == "Elbtal A"
    rows = list(csv.reader(io.StringIO(client.get("/account/my-data.csv").get_data(as_text=True))))
    assert rows[0] == ["record", "field", "value"]
    assert ["reflections[1]", "text", "Zeilen\nmit Umlauten äöü"] in rows
    assert ["profile", "login", "trainee"] in rows
