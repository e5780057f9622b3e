"""Importing what was written on paper: assessments from sign-off sheets, attendance from registers.

Always two steps: a dry run that checks every line and imports nothing, then
the import, which happens only when every line is good. Importing the same
file twice records nothing twice (each line has a stable submission id).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import User
from ..assessments.levels import EVIDENCE_NAMES, LEVEL_NAMES
from ..assessments.models import EVIDENCE_KINDS, Assessment
from ..assessments.services import MAX_NOTE, record_assessment
from ..audit import record
from ..cohorts.models import Cohort, Workshop
from ..cohorts.services import trainees_of
from ..cohorts.workshops import present_ids, set_attendance
from ..curriculum import CurriculumStore
from ..errors import InvalidInput, NotFoundError
from ..extensions import db
from ..models_base import utcnow
from ..permissions import may_assess
from .csvfile import read_table

ASSESSMENT_COLUMNS = ("login", "competency", "evidence_kind", "level", "observed_on")
ATTENDANCE_COLUMNS = ("login", "present")
# What people write for "present" / "absent", in the curriculum's languages too.
PRESENT = {"1", "yes", "y", "x", "✓", "☑", "true", "ja", "j", "ndiyo", "yee", "כן", "હા"}
EARLIEST = date(2000, 1, 1)  # the same bound the assessment service applies
ABSENT = {"0", "no", "n", "", "false", "-", "☐", "nein", "hapana", "nedda", "לא", "ના"}


@dataclass
class ImportResult:
    rows: list[dict] = field(default_factory=list)  # the lines as understood, to be imported
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line, message), sorted
    imported: int = 0
    already: int = 0  # lines recorded by an earlier import (of this or another file)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def observation_id(
    cohort: Cohort, trainee: User, competency: str, kind: str, observed: date, level: int, note: str
) -> str:
    """The same observation gets the same id whichever file, line or person brings it in."""
    content = f"{cohort.id}|{trainee.id}|{competency}|{kind}|{observed.isoformat()}|{level}|{note}"
    return "paper:" + hashlib.sha256(content.encode()).hexdigest()[:40]


def max_upload() -> int:
    """Largest CSV accepted: the checked file travels back base64-encoded under MAX_CONTENT_LENGTH."""
    return int(current_app.config.get("PAPER_IMPORT_MAX_BYTES", 1_400_000))


def parse_date(value: str) -> date | None:
    """2026-11-03, 03.11.2026 or 03/11/2026 (day first, as most of the world writes it)."""
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _words(text: str) -> str:
    """A cell compared without case, surrounding spaces or doubled inner spaces."""
    return " ".join(text.casefold().split())


def sheet_vocabulary(lang: str) -> tuple[dict[str, str], dict[str, int]]:
    """What a typed-up sheet may say for evidence kinds and levels: the codes, or the words printed in ``lang``.

    The paper sign-off sheet prints "Beobachtete Fertigkeit" and "2 Kompetent" in a German cohort;
    whoever types it up copies those words, so they are accepted as well as "skill" and "2".
    """
    kinds = {k: k for k in EVIDENCE_KINDS}
    levels = {str(n): n for n in LEVEL_NAMES}
    for locale in dict.fromkeys(("en", lang)):
        with force_locale(locale):
            kinds |= {_words(str(name)): code for code, name in EVIDENCE_NAMES.items()}
            for n, name in LEVEL_NAMES.items():
                levels[_words(str(name))] = n
                levels[_words(f"{n} {name}")] = n
    return kinds, levels


def import_assessments(
    actor: User, store: CurriculumStore, cohort: Cohort, data: bytes, *, apply: bool, now: datetime | None = None
) -> ImportResult:
    now = now or utcnow()
    if not may_assess(actor, cohort):
        raise NotFoundError("only the cohort's trainers import its sign-off sheets")
    table = read_table(data, ASSESSMENT_COLUMNS, ("note", "name"), max_bytes=max_upload())
    result = ImportResult(problems=list(table.problems))
    trainees = {t.login: t for t in trainees_of(cohort)}
    framework = store.framework(cohort.language)
    kind_words, level_words = sheet_vocabulary(cohort.language)
    with force_locale(cohort.language):
        kind_names = {code: str(name) for code, name in EVIDENCE_NAMES.items()}
    seen: dict[tuple, int] = {}
    for line, values in table.rows:
        if not (values["level"] or values["observed_on"] or values.get("note")):
            continue  # a template line nobody filled in: this trainee was not assessed on it
        problems = []
        trainee = trainees.get(values["login"].lower())
        if trainee is None:
            problems.append(_l("%(login)s is not a trainee of this cohort.", login=values["login"] or "—"))
        competency = framework.get(values["competency"].upper())
        if competency is None:
            problems.append(_l("Unknown competency %(id)s.", id=values["competency"] or "—"))
        kind = kind_words.get(_words(values["evidence_kind"]), values["evidence_kind"].lower())
        if kind not in EVIDENCE_KINDS or (competency and kind not in competency.evidence_kinds):
            allowed = competency.evidence_kinds if competency else EVIDENCE_KINDS
            problems.append(
                _l(
                    "Evidence kind must be one of: %(kinds)s.",
                    kinds=", ".join(f"{kind_names[k]} ({k})" for k in allowed),
                )
            )
        level_number = level_words.get(_words(values["level"]))
        level = str(level_number) if level_number is not None else values["level"]
        if level not in ("0", "1", "2", "3"):
            problems.append(_l("Level must be 0, 1, 2 or 3."))
        observed = parse_date(values["observed_on"])
        if observed is None or observed < EARLIEST:
            problems.append(_l("Write the date like 2026-11-03 or 03.11.2026."))
        elif observed > now.date():
            problems.append(_l("The date cannot be in the future."))
        note = values.get("note", "")
        if len(note) > MAX_NOTE:
            problems.append(_l("The note is too long (at most %(n)s characters).", n=MAX_NOTE))
        key = (values["login"].lower(), values["competency"].upper(), kind, observed or values["observed_on"])
        if key in seen:
            problems.append(_l("The same as line %(line)s.", line=seen[key]))
        seen.setdefault(key, line)
        result.problems += [(line, str(p)) for p in problems]
        if not problems:
            result.rows.append(
                {
                    "line": line,
                    "trainee": trainee,
                    "competency": competency.id,
                    "evidence_kind": kind,
                    "level": int(level),
                    "observed_on": observed,
                    "note": note,
                    "id": observation_id(cohort, trainee, competency.id, kind, observed, int(level), note),
                }
            )
    result.problems.sort()
    recorded = set(
        db.session.scalars(
            select(Assessment.submission_id).where(Assessment.submission_id.in_([r["id"] for r in result.rows]))
        )
    )
    result.already = sum(r["id"] in recorded for r in result.rows)
    result.rows = [r for r in result.rows if r["id"] not in recorded]
    if apply and result.ok:
        for row in result.rows:
            try:
                record_assessment(
                    actor,
                    store,
                    cohort=cohort,
                    trainee=row["trainee"],
                    competency_id=row["competency"],
                    evidence_kind=row["evidence_kind"],
                    level=row["level"],
                    observed_on=row["observed_on"],
                    note=row["note"],
                    submission_id=row["id"],
                    now=now,
                )
            except InvalidInput as exc:  # what the dry run could not know (a change since): named, nothing saved
                result.problems.append((row["line"], str(exc.message)))
                result.imported = 0
                return result
            result.imported += 1
        record(
            actor,
            "assessment.import",
            "cohort",
            cohort.id,
            cohort.site_id,
            now=now,
            rows=result.imported,
            file=hashlib.sha256(data).hexdigest()[:16],
        )
    return result


def import_attendance(
    actor: User, cohort: Cohort, workshop: Workshop, data: bytes, *, apply: bool, now: datetime | None = None
) -> ImportResult:
    table = read_table(data, ATTENDANCE_COLUMNS, ("name",), max_bytes=max_upload())
    result = ImportResult(problems=list(table.problems))
    trainees = {t.login: t for t in trainees_of(cohort)}
    seen: dict[str, int] = {}
    for line, values in table.rows:
        login = values["login"].lower()
        trainee = trainees.get(login)
        mark = values["present"].strip().lower()
        problems = []
        if trainee is None:
            problems.append(_l("%(login)s is not a trainee of this cohort.", login=values["login"] or "—"))
        if mark not in PRESENT | ABSENT:
            problems.append(_l("Present must be 1 or 0 (or yes / no, or x / empty)."))
        if login in seen:
            problems.append(_l("The same as line %(line)s.", line=seen[login]))
        seen.setdefault(login, line)
        result.problems += [(line, str(p)) for p in problems]
        if not problems:
            result.rows.append({"line": line, "trainee": trainee, "present": mark in PRESENT})
    result.problems.sort()
    if apply and result.ok:
        enrolled = {t.id for t in trainees.values()}
        # People not in the file keep their mark; former trainees' marks are not touched at all.
        present = (present_ids(workshop) & enrolled) - {r["trainee"].id for r in result.rows}
        present |= {r["trainee"].id for r in result.rows if r["present"]}
        set_attendance(actor, cohort, workshop, present, now=now)
        result.imported = len(result.rows)
    return result
