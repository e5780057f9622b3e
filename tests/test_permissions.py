"""The rules of training/permissions.py where the code used to disagree with itself, through
the services (which refuse with NotFoundError) and the pages (which then answer 404)."""

from __future__ import annotations

from datetime import date

import pytest

from training import permissions
from training.errors import NotFoundError
from training.extensions import db

from .conftest import login


def _assessment(app, people, submission_id: str = "perm-1"):
    from training.assessments.services import record_assessment
    from training.cohorts.models import Cohort

    store = app.extensions["curriculum"]
    return record_assessment(
        db.session.merge(people.trainer),
        store,
        cohort=db.session.get(Cohort, people.cohort_id),
        trainee=db.session.merge(people.trainee),
        competency_id="B2",
        evidence_kind=store.framework("de").get("B2").evidence_kinds[0],
        level=2,
        observed_on=date(2026, 11, 3),
        submission_id=submission_id,
    )


def test_the_author_revokes_their_assessment_while_they_train_the_cohort(app, people):
    from training.assessments.models import Revocation
    from training.assessments.services import revoke_assessment

    with app.app_context():
        assessment = _assessment(app, people)
        trainer = db.session.merge(people.trainer)
        assert permissions.may_revoke_assessment(trainer, assessment)
        assert not permissions.may_revoke_assessment(db.session.merge(people.other_trainer), assessment)
        revoke_assessment(trainer, assessment, "Recorded for the wrong trainee.")
        db.session.commit()
        assert db.session.query(Revocation).filter_by(assessment_id=assessment.id).one().revoked_by_id == trainer.id


def test_an_author_who_left_the_cohort_no_longer_revokes_but_the_coordinator_does(app, people, client):
    """The rule decided once: revoking shows and changes a trainee's record, so the author may
    do it only while they may still see that record; the site's coordinators always may."""
    from training.assessments.services import revoke_assessment
    from training.cohorts.models import Cohort

    with app.app_context():
        assessment = _assessment(app, people)
        cohort = db.session.get(Cohort, people.cohort_id)
        cohort.trainers = [db.session.merge(people.other_trainer)]  # the author moved on
        db.session.commit()
        assessment_id = assessment.id
        trainer = db.session.merge(people.trainer)
        assert not permissions.may_revoke_assessment(trainer, assessment)
        with pytest.raises(NotFoundError):
            revoke_assessment(trainer, assessment, "I was wrong about this one.")
        db.session.rollback()
    login(client, people.trainer)
    assert client.get(f"/assessments/{assessment_id}/revoke").status_code == 404
    assert client.post(f"/assessments/{assessment_id}/revoke", data={"reason": "I was wrong."}).status_code == 404
    coordinator = client.application.test_client()
    login(coordinator, people.coordinator)
    response = coordinator.post(f"/assessments/{assessment_id}/revoke", data={"reason": "The trainer asked me to."})
    assert response.status_code == 302
    with app.app_context():
        from training.assessments.models import Assessment

        assert db.session.get(Assessment, assessment_id).revocation.revoked_by_id == people.coordinator.id


def test_only_coordinators_enrol_existing_accounts_even_through_the_service(app, people):
    from training.cohorts.models import Cohort, Enrolment
    from training.cohorts.services import add_trainee, enrol

    with app.app_context():
        cohort = db.session.get(Cohort, people.cohort_id)
        trainer = db.session.merge(people.trainer)
        with pytest.raises(NotFoundError):
            enrol(trainer, cohort, db.session.merge(people.other_trainee))
        # A trainer still enrols the accounts they create for their cohort.
        person, _secret = add_trainee(trainer, cohort, name="New Person", email=None, login=None)
        enrol(db.session.merge(people.coordinator), cohort, db.session.merge(people.other_trainee))
        db.session.commit()
        assert db.session.get(Enrolment, (cohort.id, person.id)) is not None
        assert db.session.get(Enrolment, (cohort.id, people.other_trainee.id)) is not None


def test_shared_reflections_are_for_the_trainees_trainers_only(app, people):
    from training.learning.models import Reflection

    with app.app_context():
        private = Reflection(user_id=people.trainee.id, module="peer-role", prompt="", body="mine", shared=False)
        shared = Reflection(user_id=people.trainee.id, module="peer-role", prompt="p", body="ours", shared=True)
        db.session.add_all([private, shared])
        db.session.commit()
        seen = {
            role: [r.body for r in (private, shared) if permissions.may_see_reflection(getattr(people, role), r)]
            for role in ("trainee", "trainer", "other_trainer", "coordinator", "admin", "other_trainee")
        }
    assert seen == {
        "trainee": ["mine", "ours"],
        "trainer": ["ours"],
        "other_trainer": [],
        "coordinator": [],  # overseeing a site is not being someone's trainer
        "admin": [],
        "other_trainee": [],
    }


def test_templates_ask_the_same_functions(app):
    for name in ("may_run_cohort", "may_manage_cohort", "may_revoke_assessment", "is_staff", "keeps_own_record"):
        assert app.jinja_env.globals[name] is getattr(permissions, name)
    with app.test_request_context():
        from flask_login import AnonymousUserMixin

        anonymous = AnonymousUserMixin()
        assert not permissions.is_staff(anonymous) and not permissions.keeps_own_record(anonymous)
        assert permissions.may_join_cohort(anonymous)
