"""The audit view: who recorded, revoked, raised, closed, issued what, and when."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import textcheck
from ..permissions import is_overseer
from ..web import store
from ..webforms import requires
from . import audit_log

bp = Blueprint("audit", __name__)


def _day(name: str) -> date | None:
    value = request.args.get(name) or ""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        flash(_("Dates are written like 2026-11-27."), "error")
        return None
    if day is not None and not textcheck.date_in_range(day):
        flash(str(textcheck.DATE_RANGE_MESSAGE), "error")  # 9999-12-31 has no next day
        return None
    return day


@bp.get("/audit")
@requires(is_overseer)
def events():
    """Assessment events with filters; coordinators see their own site only."""
    wanted = audit_log.scoped(
        current_user,
        audit_log.AuditFilter(
            site=request.args.get("site") or None,
            action=request.args.get("action") or "",
            actor_id=request.args.get("actor", type=int),
            day_from=_day("from"),
            day_to=_day("to"),
        ),
    )
    found, people = audit_log.events(current_user, wanted)
    return render_template(
        "assessments/audit.html",
        events=found,
        people=people,
        sites=store().sites(),
        site=wanted.site,
        action=wanted.action,
        actions=list(audit_log.ACTIONS),
        args=request.args,
    )
