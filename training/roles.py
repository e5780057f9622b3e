"""The four roles, the staff roles and their names on screen: the vocabulary every layer shares."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext


class Role(enum.StrEnum):
    ADMIN = "admin"  # organisation admin: every site
    COORDINATOR = "coordinator"  # one site: accounts, cohorts, manuals, certificates
    TRAINER = "trainer"  # the cohorts they train
    TRAINEE = "trainee"  # their own records


# People who run trainings: they read trainer notes and work with cohorts. The one definition.
STAFF_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.TRAINER)

ROLE_NAMES = {
    Role.ADMIN: lazy_gettext("Organisation admin"),
    Role.COORDINATOR: lazy_gettext("Site coordinator"),
    Role.TRAINER: lazy_gettext("Trainer"),
    Role.TRAINEE: lazy_gettext("Trainee"),
}


def role_name(role: Role | str) -> str:
    """A role's name in the current language (the value itself if it is no role)."""
    value = getattr(role, "value", role)
    return str(ROLE_NAMES.get(value, value))  # type: ignore[call-overload]
