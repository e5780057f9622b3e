"""Every model, imported in one place so migrations and the app see the whole schema."""

from .accounts.models import AccountToken, Role, TokenPurpose, User
from .audit import AuditEvent
from .cohorts.models import Cohort, Enrolment, cohort_trainers
from .learning.models import Reflection, SectionProgress
from .manuals.models import ManualBuild

__all__ = [
    "AccountToken",
    "AuditEvent",
    "Cohort",
    "Enrolment",
    "ManualBuild",
    "Reflection",
    "Role",
    "SectionProgress",
    "TokenPurpose",
    "User",
    "cohort_trainers",
]
