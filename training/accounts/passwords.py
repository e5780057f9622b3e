"""Password hashing with argon2id (OWASP minimum: 19 MiB memory, 2 passes, 1 lane)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 512


def _hasher() -> PasswordHasher:
    memory = current_app.config.get("PASSWORD_MEMORY_KIB", 19456) if has_app_context() else 19456
    return PasswordHasher(time_cost=2, memory_cost=memory, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so unknown logins are not revealed by timing.
        _hasher().hash(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, name: str = "", login: str = "") -> LazyString | None:
    """Why a new password is not acceptable (a sentence in the reader's language), or None."""
    if len(password) < MIN_LENGTH:
        return _l("The password needs at least %(n)s characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("The password can have at most %(n)s characters.", n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in {login.lower(), name.lower()} or lowered in {"password", "12345678", "peerpath"}:
        return _l("This password is too easy to guess.")
    return None
