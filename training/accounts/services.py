"""Account operations: who may create whom, sign-in, one-time links, settings.

Each function takes the acting user and the clock, so the web, the CLI and
tests call the same code.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ..audit import record
from ..errors import InvalidInput, NotFoundError
from ..extensions import db
from ..models_base import utcnow
from ..permissions import may_give_role, may_manage_user, may_send_link
from ..textcheck import clean_name, name_problem
from .models import AccountToken, Role, TokenPurpose, User
from .passwords import hash_password, password_problem, verify_password

TOKEN_LIFETIME = {TokenPurpose.INVITE: timedelta(days=14), TokenPurpose.RESET: timedelta(days=2)}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._@+-]{2,199}$")


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")[:40] or "trainee"


def login_taken(login: str) -> bool:
    return db.session.scalar(select(func.count()).select_from(User).where(User.login == login)) > 0


def _new_login(name: str) -> str:
    base = _slug(name)
    while True:
        candidate = f"{base}.{secrets.randbelow(9000) + 1000}"
        if not login_taken(candidate):
            return candidate


def find_by_login(login: str) -> User | None:
    return db.session.scalar(select(User).where(User.login == login.strip().lower()))


def create_user(
    actor: User | None,
    *,
    name: str,
    role: Role,
    site_id: str | None,
    email: str | None = None,
    login: str | None = None,
    language: str | None = None,
    password: str | None = None,
    now: datetime | None = None,
    via: str | None = None,
) -> tuple[User, str | None]:
    """Create an account; returns it and a one-time link secret when no password was given.

    ``actor`` None means the command line (trusted operator)."""
    now = now or utcnow()
    name = clean_name(name)
    if not name:
        raise InvalidInput("name", _l("Enter a name."))
    if problem := name_problem(name):
        raise InvalidInput("name", problem)
    if len(name) > 200:
        raise InvalidInput("name", _l("The name is too long."))
    if role != Role.ADMIN and not site_id:
        raise InvalidInput("site", _l("Choose a site."))
    if actor is not None and not may_give_role(actor, role, site_id):
        raise NotFoundError("not allowed to create this account")
    email = (email or "").strip().lower() or None
    if email and not EMAIL_RE.match(email):
        raise InvalidInput("email", _l("This is not an email address."))
    login = (login or "").strip().lower() or email or _new_login(name)
    if not LOGIN_RE.match(login):
        raise InvalidInput("login", _l("Use 3 or more letters, digits, dots or hyphens."))
    if login_taken(login):
        raise InvalidInput(
            "login" if not email or login != email else "email", _l("An account with this sign-in name exists already.")
        )
    if password is not None:
        problem = password_problem(password, name=name, login=login, role=role)
        if problem:
            raise InvalidInput("password", problem)
    user = User(
        login=login,
        email=email,
        name=name,
        role=role,
        site_id=None if role == Role.ADMIN else site_id,
        language=language,
        password_hash=hash_password(password) if password else None,
        created_at=now,
    )
    db.session.add(user)
    db.session.flush()
    # Someone joining with a cohort code creates their own account: they are the actor.
    record(
        actor or (user if via == "code" else None),
        "user.create",
        "user",
        user.id,
        user.site_id,
        now=now,
        role=role.value,
        **({"via": via} if via else {}),
    )
    secret = None if password else issue_token(actor, user, TokenPurpose.INVITE, now=now)
    return user, secret


def issue_token(actor: User | None, user: User, purpose: TokenPurpose, now: datetime | None = None) -> str:
    """A one-time link secret; older unused links of the same kind stop working."""
    now = now or utcnow()
    if actor is not None and not may_send_link(actor, user):
        raise NotFoundError("not allowed")
    for old in db.session.scalars(
        select(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
    ):
        old.used_at = now
    raw = secrets.token_urlsafe(24)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_token_hash(raw),
            created_by_id=getattr(actor, "id", None),
            created_at=now,
            expires_at=now + TOKEN_LIFETIME[purpose],
        )
    )
    record(actor, f"user.{purpose.value}_link", "user", user.id, user.site_id, now=now)
    return raw


def token_user(raw: str, now: datetime | None = None) -> tuple[AccountToken, User] | None:
    """The valid (unused, unexpired) token and its user, or None."""
    now = now or utcnow()
    token = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == _token_hash(raw or "")))
    if token is None or token.used_at is not None or token.expires_at <= now:
        return None
    user = db.session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    return token, user


def set_password_with_token(raw: str, password: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    found = token_user(raw, now)
    if found is None:
        raise InvalidInput("token", _l("This link has expired or was used already. Ask your trainer for a new one."))
    token, user = found
    problem = password_problem(password, name=user.name, login=user.login, role=user.role)
    if problem:
        raise InvalidInput("password", problem)
    # Consume the link atomically: of two uses at the same instant only one changes a row.
    used = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise InvalidInput("token", _l("This link has expired or was used already. Ask your trainer for a new one."))
    db.session.refresh(token)
    user.password_hash = hash_password(password)
    user.end_sessions()
    record(user, "user.password_set", "user", user.id, user.site_id, now=now, via=token.purpose.value)
    return user


def authenticate(login: str, password: str, now: datetime | None = None) -> User | None:
    user = find_by_login(login or "")
    if user is None or not user.active:
        verify_password(None, password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    user.last_login_at = now or utcnow()
    return user


def change_password(user: User, current: str, new: str, now: datetime | None = None) -> None:
    if not verify_password(user.password_hash, current):
        raise InvalidInput("current", _l("The current password is not right."))
    problem = password_problem(new, name=user.name, login=user.login, role=user.role)
    if problem:
        raise InvalidInput("password", problem)
    user.password_hash = hash_password(new)
    user.end_sessions()  # a password changed because of a lost phone must end that phone's session
    record(user, "user.password_change", "user", user.id, user.site_id, now=now)


def set_language(user: User, lang: str, languages: tuple[str, ...]) -> None:
    if lang not in languages:
        raise InvalidInput("language", _l("Choose one of the offered languages."))
    user.language = lang


ACCOUNT_ACTIONS = ("user.create", "user.invite_link", "user.reset_link", "user.password_set", "user.password_change")


def account_activity(user: User, limit: int = 10):
    """Recent events on an account: who made sign-in links, when the password was set.

    Shown to the account holder, so nobody can quietly take an account over with a reset link."""
    from ..audit import AuditEvent

    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.target_type == "user",
                AuditEvent.target_id == user.id,
                AuditEvent.action.in_(ACCOUNT_ACTIONS),
            )
            .order_by(AuditEvent.at.desc())
            .limit(limit)
        )
    )
    actors = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_({e.actor_id for e in events if e.actor_id})))
    }
    return [(event, actors.get(event.actor_id)) for event in events]


def managed_user(actor: User, user_id: int) -> User:
    """A user the actor may edit; 404 otherwise."""
    user = db.session.get(User, user_id)
    if user is None or not may_manage_user(actor, user):
        raise NotFoundError("no such user")
    return user


def update_user(
    actor: User, user: User, *, name: str, email: str | None, role: Role, active: bool, now: datetime | None = None
) -> None:
    if not may_give_role(actor, role, user.site_id) or (role != Role.ADMIN and not user.site_id):
        raise InvalidInput("role", _l("You cannot give this role."))
    name = clean_name(name)
    if not name:
        raise InvalidInput("name", _l("Enter a name."))
    if problem := name_problem(name):
        raise InvalidInput("name", problem)
    email = (email or "").strip().lower() or None
    if email and not EMAIL_RE.match(email):
        raise InvalidInput("email", _l("This is not an email address."))
    changes = {}
    for field, value in (("name", name), ("email", email), ("role", role), ("active", active)):
        if getattr(user, field) != value:
            changes[field] = str(value.value if isinstance(value, Role) else value)
            setattr(user, field, value)
    if "active" in changes and not active:
        user.end_sessions()  # stays so: reactivating does not revive old sessions
    if changes:
        record(actor, "user.update", "user", user.id, user.site_id, now=now, **changes)
