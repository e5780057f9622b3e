"""Who may do what: the one place that answers it.

Every question is one function, named for it, taking the acting user first and
the object second, returning True or False. Services ask before they act and
raise ``NotFoundError`` on a no, so a refused object looks exactly like a
missing one (the same 404 page). Routes, templates (as globals) and the command
line ask the same functions. The table with the reasons is docs/permissions.md.

This module reads the areas' models (who trains which cohort, who is enrolled
where) but never their services or routes, so every area can use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, exists, select

from .accounts.models import User
from .cohorts.models import Cohort, Enrolment, cohort_trainers
from .extensions import db
from .roles import STAFF_ROLES, Role

if TYPE_CHECKING:
    from .assessments.models import Assessment, Certificate, SafetyFlag
    from .learning.models import Reflection
    from .manuals.models import ManualBuild

# Which roles each role may create and manage (always within its own site, except admins).
MANAGEABLE: dict[Role, tuple[Role, ...]] = {
    Role.ADMIN: (Role.ADMIN, Role.COORDINATOR, Role.TRAINER, Role.TRAINEE),
    Role.COORDINATOR: (Role.TRAINER, Role.TRAINEE),
    Role.TRAINER: (Role.TRAINEE,),
    Role.TRAINEE: (),
}


def _role(actor: Any) -> Role | None:
    # Templates pass Flask-Login's anonymous user, which has no role: it may do nothing.
    return getattr(actor, "role", None) if getattr(actor, "is_authenticated", False) else None


# -- who someone is --------------------------------------------------------------


def is_staff(actor: User) -> bool:
    """Runs trainings (admin, coordinator, trainer): cohorts, trainer notes, manuals."""
    return _role(actor) in STAFF_ROLES


def is_overseer(actor: User) -> bool:
    """Oversees a site (coordinator) or every site (admin): accounts, certificates, the audit."""
    return _role(actor) in (Role.ADMIN, Role.COORDINATOR)


def oversees_every_site(actor: User) -> bool:
    """Organisation admins choose any site where others see their own."""
    return _role(actor) == Role.ADMIN


def keeps_own_record(actor: User) -> bool:
    """Trainees: a journal, progress and competencies of their own."""
    return _role(actor) == Role.TRAINEE


def may_oversee_site(actor: User, site_id: str | None) -> bool:
    """The site's coordinators and organisation admins."""
    role = _role(actor)
    return role == Role.ADMIN or (role == Role.COORDINATOR and site_id is not None and actor.site_id == site_id)


def may_join_cohort(actor: User) -> bool:
    """Joining with a cohort code: newcomers (making an account) and trainees."""
    return _role(actor) in (None, Role.TRAINEE)


# -- cohorts and their trainees ---------------------------------------------------


def trains_cohort(actor: User, cohort: Cohort) -> bool:
    """Is the actor one of the cohort's trainers (whatever their role)?"""
    return _role(actor) is not None and any(t.id == actor.id for t in cohort.trainers)


def trains(actor: User, trainee_id: int) -> bool:
    """Does the actor train a cohort the trainee is in?"""
    if _role(actor) is None:
        return False
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Enrolment.user_id == trainee_id,
                    Enrolment.cohort_id == cohort_trainers.c.cohort_id,
                    cohort_trainers.c.user_id == actor.id,
                )
            )
        )
    )


def may_run_cohort(actor: User, cohort: Cohort) -> bool:
    """See the cohort, its trainees and their records; add trainees, workshops, attendance, codes:
    its trainers, the site's coordinators, admins."""
    role = _role(actor)
    if role in (Role.ADMIN, Role.COORDINATOR):
        return may_oversee_site(actor, cohort.site_id)
    return role == Role.TRAINER and trains_cohort(actor, cohort)


def may_manage_cohort(actor: User, cohort: Cohort) -> bool:
    """Change the cohort's settings and trainers, enrol existing accounts, see the site's other
    trainees: the site's coordinators and admins (a trainer could otherwise pull someone else's
    trainee into their cohort and read what was shared with other trainers)."""
    return may_oversee_site(actor, cohort.site_id)


def may_create_cohort(actor: User, site_id: str) -> bool:
    """New cohorts at a site: its coordinators and admins."""
    return may_oversee_site(actor, site_id)


def is_enrolled(trainee_id: int, cohort: Cohort) -> bool:
    return db.session.get(Enrolment, (cohort.id, trainee_id)) is not None


def may_view_trainee(actor: User, trainee: User) -> bool:
    """A trainee's records: themselves, trainers of a cohort they are in, their site's coordinators, admins."""
    role = _role(actor)
    if role is None:
        return False
    if actor.id == trainee.id or may_oversee_site(actor, trainee.site_id):
        return True
    return role == Role.TRAINER and trains(actor, trainee.id)


def visible_cohorts(actor: User) -> Select:
    """Cohorts the actor may see in lists: admins all, coordinators their site, trainers theirs, trainees their own."""
    query = select(Cohort).order_by(Cohort.archived, Cohort.start_date.desc().nulls_last(), Cohort.name)
    role = _role(actor)
    if role == Role.ADMIN:
        return query
    if role == Role.COORDINATOR:
        return query.where(Cohort.site_id == actor.site_id)
    if role == Role.TRAINER:
        return query.where(
            exists().where(cohort_trainers.c.cohort_id == Cohort.id, cohort_trainers.c.user_id == actor.id)
        )
    if role == Role.TRAINEE:
        return query.where(exists().where(Enrolment.cohort_id == Cohort.id, Enrolment.user_id == actor.id))
    return query.where(False)


# -- reflections -------------------------------------------------------------------


def may_see_reflection(actor: User, reflection: Reflection) -> bool:
    """Its author; their trainers only when the author shared it. Coordinators and admins as such never."""
    if _role(actor) is None:
        return False
    if actor.id == reflection.user_id:
        return True
    # "Their trainers": people who train a cohort the trainee is in. Trainers cannot pull someone
    # into their cohort (may_manage_cohort), so this is what the trainee agreed to by joining.
    return reflection.shared and trains(actor, reflection.user_id)


# -- assessments, flags, certificates ----------------------------------------------


def may_assess(actor: User, cohort: Cohort, trainee: User | None = None) -> bool:
    """Record an assessment (any competency): the cohort's trainers (coordinators too, when they
    train it), of a trainee enrolled in it, never of themselves. Without ``trainee``: anyone in it."""
    if _role(actor) in (None, Role.TRAINEE) or not trains_cohort(actor, cohort):
        return False
    return trainee is None or (trainee.id != actor.id and is_enrolled(trainee.id, cohort))


def may_revoke_assessment(actor: User, assessment: Assessment) -> bool:
    """Withdraw an assessment: the site's coordinators and admins always; its author while they
    still run the cohort (revoking shows and changes a trainee's record, so only someone who may
    see that record may do it: a trainer who left the cohort asks the coordinator)."""
    if may_oversee_site(actor, assessment.site_id):
        return True
    if _role(actor) is None or actor.id != assessment.assessor_id:
        return False
    cohort = db.session.get(Cohort, assessment.cohort_id)
    return cohort is not None and may_run_cohort(actor, cohort)


def may_close_flag(actor: User, flag: SafetyFlag) -> bool:
    """Close a safety flag: the site's coordinators and admins, and trainers who train the trainee."""
    if may_oversee_site(actor, flag.site_id):
        return True
    return _role(actor) == Role.TRAINER and trains(actor, flag.trainee_id)


def may_issue_certificate(actor: User, trainee: User) -> bool:
    """Certificates are issued to trainees by their site's coordinators and admins."""
    return trainee.role == Role.TRAINEE and trainee.site_id is not None and may_oversee_site(actor, trainee.site_id)


def may_print_certificate(actor: User, certificate: Certificate) -> bool:
    """The PDF: its holder while it is valid, the holder's trainers, the site's coordinators and admins."""
    if may_oversee_site(actor, certificate.site_id):
        return True
    # A revoked certificate is no longer the holder's (or anyone else's) to print.
    return certificate.valid and may_view_trainee(actor, certificate.trainee)


def may_revoke_certificate(actor: User, certificate: Certificate) -> bool:
    """Revoke or (after review) confirm a certificate: the site's coordinators and admins."""
    return may_oversee_site(actor, certificate.site_id)


# -- accounts ------------------------------------------------------------------------


def manageable_roles(actor: User) -> tuple[Role, ...]:
    role = _role(actor)
    return MANAGEABLE[role] if role is not None else ()


def may_give_role(actor: User, role: Role, site_id: str | None) -> bool:
    """Create (or turn) an account of this role at this site: admins any; others their own site's
    lower roles (coordinators trainers and trainees, trainers trainees)."""
    if role not in manageable_roles(actor):
        return False
    return _role(actor) == Role.ADMIN or (site_id is not None and site_id == actor.site_id)


def may_manage_user(actor: User, user: User) -> bool:
    """Edit someone's account or send them a new sign-in link: as ``may_give_role``, never oneself."""
    return user.id != actor.id and may_give_role(actor, user.role, user.site_id)


def may_send_link(actor: User, user: User) -> bool:
    """A one-time sign-in link: for oneself, or for an account one manages."""
    return _role(actor) is not None and (actor.id == user.id or may_give_role(actor, user.role, user.site_id))


def visible_users(actor: User) -> Select:
    """Accounts the actor may see in lists: admins all, coordinators their site, others themselves."""
    query = select(User)
    role = _role(actor)
    if role == Role.ADMIN:
        return query
    if role == Role.COORDINATOR:
        return query.where(User.site_id == actor.site_id)
    return query.where(User.id == getattr(actor, "id", None))


# -- curriculum and manuals --------------------------------------------------------------


def may_see_translation_status(actor: User) -> bool:
    """Which translations are current: everyone who runs trainings."""
    return is_staff(actor)


def manual_sites(actor: User, known_sites: Iterable[str]) -> list[str | None]:
    """Sites the actor may print manuals for (and see builds of): admins every site and none
    (the plain curriculum), other staff their own site."""
    sites = list(known_sites)
    if _role(actor) == Role.ADMIN:
        return [None, *sites]
    if not is_staff(actor):
        return []
    return [actor.site_id] if actor.site_id in sites else []


def may_see_manual_build(actor: User, build: ManualBuild, known_sites: Iterable[str]) -> bool:
    return build.site_id in manual_sites(actor, known_sites)


# -- reports -------------------------------------------------------------------------------


def may_see_cohort_report(actor: User, cohort: Cohort) -> bool:
    """The cohort competency matrix and its PDF, CSV and .xlsx: whoever runs the cohort. It holds
    levels only (no notes, flags' text or reflections), the same as the competency grid."""
    return may_run_cohort(actor, cohort)


def may_see_trainee_flags(actor: User, trainee: User) -> bool:
    """The safety flags on a trainee's record page: staff who may view the trainee, never the
    trainee (a flag is a prompt for the trainers, not a verdict to hand over)."""
    return is_staff(actor) and may_view_trainee(actor, trainee)


def may_see_programme_report(actor: User) -> bool:
    """Every site's numbers side by side (for funders): organisation admins."""
    return oversees_every_site(actor)


# == Translators' desk (issue 13) ==================================================================
# Translation work is granted per language (TranslatorGrant rows), optionally only for one site's
# overlays. Organisation admins may do everything; the last review step (approval) needs an admin
# or a grant with may_approve. Kept as one block so it merges as a plain union with the other rules.


def _is_admin(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and getattr(actor, "role", None) == "admin"


def _translator_grants(actor: Any, lang: str | None = None) -> list[Any]:
    from .translations.models import TranslatorGrant

    if not getattr(actor, "is_authenticated", False) or not getattr(actor, "active", True):
        return []
    query = select(TranslatorGrant).where(TranslatorGrant.user_id == actor.id)
    if lang is not None:
        query = query.where(TranslatorGrant.lang == lang)
    return list(db.session.scalars(query))


def may_use_translation_desk(actor: Any) -> bool:
    """Organisation admins and anyone granted a language to translate."""
    return _is_admin(actor) or bool(_translator_grants(actor))


def translation_languages(actor: Any, languages: tuple[str, ...]) -> tuple[str, ...]:
    """The languages (of ``languages``) whose module translations the actor may work on."""
    if _is_admin(actor):
        return languages
    granted = {g.lang for g in _translator_grants(actor) if g.site_id is None}
    return tuple(lang for lang in languages if lang in granted)


def may_translate(actor: Any, lang: str, site_id: str | None = None) -> bool:
    """Edit and export/import ``lang``: the module files, or with ``site_id`` only that site's overlays."""
    if _is_admin(actor):
        return True
    return any(g.site_id is None or g.site_id == site_id for g in _translator_grants(actor, lang))


def may_review_translation(actor: Any, lang: str, step: str, steps: tuple[str, ...]) -> bool:
    """Record review ``step`` for ``lang``: translators of the language; the last step needs an approver."""
    if step not in steps:
        return False
    if _is_admin(actor):
        return True
    grants = [g for g in _translator_grants(actor, lang) if g.site_id is None]
    if step == steps[-1]:
        return any(g.may_approve for g in grants)
    return bool(grants)


def may_grant_translators(actor: Any) -> bool:
    """Organisation admins hand out and take back translation grants."""
    return _is_admin(actor)


# == end of the translators' desk rules ============================================================


# Offered to every template, so pages ask the same questions as the code that serves them.
TEMPLATE_GLOBALS: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        is_staff,
        is_overseer,
        oversees_every_site,
        keeps_own_record,
        may_oversee_site,
        may_run_cohort,
        may_manage_cohort,
        may_create_cohort,
        may_view_trainee,
        may_see_reflection,
        may_assess,
        may_revoke_assessment,
        may_close_flag,
        may_issue_certificate,
        may_print_certificate,
        may_revoke_certificate,
        may_manage_user,
        may_see_translation_status,
        may_see_cohort_report,
        may_see_programme_report,
        may_see_trainee_flags,
        may_use_translation_desk,
    )
}
