"""Progress: sections marked done, per module and over the curriculum, and where to continue.

Progress is stored per module slug and section id, so it is the same in every
language and survives sections being reworded or reordered. A done section
whose id no longer exists is kept and reported as retired, never dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, delete, false, func, or_, select

from ..accounts.models import User
from ..concurrency import insert_or_existing
from ..curriculum import CurriculumStore, ModuleView, Site
from ..errors import InvalidInput
from ..extensions import db
from ..models_base import utcnow
from .models import SectionProgress

Done = dict[str, dict[str, datetime]]  # module -> section -> completed_at


@dataclass(frozen=True)
class ModuleProgress:
    slug: str
    done: int
    total: int
    last_activity: datetime | None
    retired: tuple[str, ...]  # done sections that no longer exist in the module

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.done >= self.total


def mark_done(user: User, view: ModuleView, section_id: str, now: datetime | None = None) -> SectionProgress:
    """Record a section as done; doing it twice keeps the first time."""
    if section_id not in view.section_ids:
        raise InvalidInput("section", _l("This section does not exist in the module."))
    existing = _done_row(user.id, view.slug, section_id)
    if existing is not None:
        return existing
    row = SectionProgress(
        user_id=user.id,
        module=view.slug,
        section=section_id,
        completed_at=now or utcnow(),
        language=view.content_lang,
        revision=view.revision,
    )
    # The same tap may arrive twice at once: the first one's time stays.
    row, _inserted = insert_or_existing(row, lambda: _done_row(user.id, view.slug, section_id))
    return row


def _done_row(user_id: int, module: str, section_id: str) -> SectionProgress | None:
    return db.session.scalar(
        select(SectionProgress).where(
            SectionProgress.user_id == user_id, SectionProgress.module == module, SectionProgress.section == section_id
        )
    )


def mark_not_done(user: User, module: str, section_id: str) -> None:
    db.session.execute(
        delete(SectionProgress).where(
            SectionProgress.user_id == user.id, SectionProgress.module == module, SectionProgress.section == section_id
        )
    )


def done_by_user(user_ids: Iterable[int]) -> dict[int, Done]:
    """All done sections of many users in one query."""
    ids = list(user_ids)
    result: dict[int, Done] = {uid: defaultdict(dict) for uid in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(
            SectionProgress.user_id, SectionProgress.module, SectionProgress.section, SectionProgress.completed_at
        ).where(SectionProgress.user_id.in_(ids))
    )
    for user_id, module, section, completed_at in rows:
        result[user_id][module][section] = completed_at
    return result


def done_for(user: User) -> Done:
    return done_by_user([user.id])[user.id]


def module_progress(view: ModuleView, done: Done) -> ModuleProgress:
    sections = done.get(view.slug, {})
    current = set(view.section_ids)
    finished = [s for s in sections if s in current]
    return ModuleProgress(
        slug=view.slug,
        done=len(finished),
        total=len(current),
        last_activity=max(sections.values()) if sections else None,
        retired=tuple(sorted(s for s in sections if s not in current)),
    )


def module_counts(user_ids: Select, views: list[ModuleView]) -> dict[int, dict[str, tuple[int, datetime]]]:
    """Per user and module, counted in SQL: sections done that the module still has, and the latest
    completion of any of its sections (retired ones included, as in ``module_progress``)."""
    current = or_(
        false(),
        *(
            and_(SectionProgress.module == v.slug, SectionProgress.section.in_(v.section_ids))
            for v in views
            if v.section_ids
        ),
    )
    rows = db.session.execute(
        select(
            SectionProgress.user_id,
            SectionProgress.module,
            func.sum(case((current, 1), else_=0)),
            func.max(SectionProgress.completed_at),
        )
        .where(SectionProgress.user_id.in_(user_ids), SectionProgress.module.in_([v.slug for v in views]))
        .group_by(SectionProgress.user_id, SectionProgress.module)
    )
    result: dict[int, dict[str, tuple[int, datetime]]] = defaultdict(dict)
    for user_id, module, done, latest in rows:
        result[user_id][module] = (int(done or 0), latest)
    return result


def curriculum_progress(views: list[ModuleView], done: Done) -> tuple[list[ModuleProgress], int]:
    per_module = [module_progress(v, done) for v in views]
    total = sum(p.total for p in per_module)
    finished = sum(p.done for p in per_module)
    return per_module, round(100 * finished / total) if total else 0


@dataclass(frozen=True)
class ContinuePoint:
    view: ModuleView
    section_id: str | None  # None: the module is done; start the next


def continue_point(
    store: CurriculumStore, lang: str, site: Site | None, done: Done, views: list[ModuleView] | None = None
) -> ContinuePoint | None:
    """Where to pick up: the next undone section of the module worked on last, else the first undone module.

    ``views``: the modules the page already has (``store.modules(lang, site)``), not looked up again."""
    views = store.modules(lang, site) if views is None else views
    if not views:
        return None
    last_module = None
    if any(done.values()):
        last_module = max(((m, max(s.values())) for m, s in done.items() if s), key=lambda x: x[1])[0]
    ordered = views
    if last_module is not None:
        index = next((i for i, v in enumerate(views) if v.slug == last_module), 0)
        ordered = views[index:] + views[:index]
    for view in ordered:
        for section_id in view.section_ids:
            if section_id not in done.get(view.slug, {}):
                return ContinuePoint(view, section_id)
    return None
