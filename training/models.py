"""Every model, imported in one place so migrations and the app see the whole schema."""

from .accounts.models import AccountToken, Role, TokenPurpose, User
from .assessments.models import Assessment, Certificate, Revocation, SafetyFlag
from .audit import AuditEvent
from .cohorts.models import Attendance, Cohort, Enrolment, Workshop, cohort_trainers
from .learning.models import Reflection, SectionProgress
from .manuals.models import ManualBuild
from .translations.models import TranslationStep, TranslatorGrant

__all__ = [
    "AccountToken",
    "Assessment",
    "Attendance",
    "AuditEvent",
    "Certificate",
    "Cohort",
    "Enrolment",
    "ManualBuild",
    "Reflection",
    "Revocation",
    "Role",
    "SafetyFlag",
    "SectionProgress",
    "TokenPurpose",
    "TranslationStep",
    "TranslatorGrant",
    "User",
    "Workshop",
    "cohort_trainers",
]
