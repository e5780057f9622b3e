"""One answer to "what day is it?" for a site: every date PeerPath shows or prints comes from here.

Records keep aware UTC timestamps; a person reads dates in their site's time zone. A certificate
issued at 23:30 UTC is dated the next day in Kampala, on the public page and on the PDF alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(timezone: str | None) -> tzinfo:
    """The site's time zone; UTC when none is set or the name is unknown (the validator reports those)."""
    if not timezone:
        return UTC
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def local_date(moment: datetime, timezone: str | None) -> date:
    """The calendar date of an aware timestamp where the site is."""
    return moment.astimezone(zone(timezone)).date()


def site_today(timezone: str | None, now: datetime | None = None) -> date:
    """Today where the site is; ``now`` (aware) lets services and tests pass the clock in."""
    return local_date(now or datetime.now(UTC), timezone)
