"""Private reflections: a journal entry per module and per reflection prompt.

Only the author sees an entry, unless they share it with their trainers.
Entries are plain text: always escaped, never rendered as HTML or Markdown.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import User
from ..concurrency import insert_or_existing
from ..curriculum import ModuleView
from ..errors import InvalidInput
from ..extensions import db
from ..models_base import utcnow
from ..permissions import may_see_reflection
from ..textcheck import CONTROL_MESSAGE, has_control_characters
from .models import Reflection

MAX_LENGTH = 20_000


def prompts_of(view: ModuleView) -> list[tuple[str, str]]:
    """(prompt id, prompt text) for the module's reflection blocks, in page order."""
    result = []
    for placed in view.sections:
        for block in placed.section.blocks():
            if block.type == "reflection" and block.attrs.get("id"):
                result.append((block.attrs["id"], block.plain_text().strip()))
    return result


def reflections_for(user: User, module: str | None = None) -> list[Reflection]:
    query = select(Reflection).where(Reflection.user_id == user.id)
    if module is not None:
        query = query.where(Reflection.module == module)
    return list(db.session.scalars(query.order_by(Reflection.module, Reflection.prompt)))


def save_reflection(
    user: User, view: ModuleView, prompt: str, body: str, shared: bool, now: datetime | None = None
) -> Reflection | None:
    """Create or update the entry; an empty text removes it. Returns the entry (None if removed)."""
    now = now or utcnow()
    if prompt and prompt not in {p for p, _ in prompts_of(view)}:
        raise InvalidInput("prompt", _l("This reflection prompt does not exist in the module."))
    body = (body or "").replace("\r\n", "\n")
    if has_control_characters(body, multiline=True):
        raise InvalidInput("body", CONTROL_MESSAGE)
    if len(body) > MAX_LENGTH:
        raise InvalidInput("body", _l("The text is too long (at most %(n)s characters).", n=MAX_LENGTH))
    entry = db.session.scalar(
        select(Reflection).where(
            Reflection.user_id == user.id, Reflection.module == view.slug, Reflection.prompt == prompt
        )
    )
    if not body.strip():
        if entry is not None:
            db.session.delete(entry)
        return None
    if entry is None:
        entry = Reflection(
            user_id=user.id, module=view.slug, prompt=prompt, created_at=now, body=body, shared=shared, updated_at=now
        )
        # The first save may arrive twice at once: the loser updates the winner's entry.
        entry, _inserted = insert_or_existing(
            entry,
            lambda: db.session.scalar(
                select(Reflection).where(
                    Reflection.user_id == user.id, Reflection.module == view.slug, Reflection.prompt == prompt
                )
            ),
        )
    entry.body, entry.shared, entry.updated_at = body, shared, now
    return entry


def shared_with(viewer: User, trainee: User) -> list[Reflection]:
    """The trainee's entries the viewer may read (``may_see_reflection``): all their own; a
    trainer only the shared ones; anyone else nothing."""
    return [r for r in reflections_for(trainee) if may_see_reflection(viewer, r)]
