"""Password hashing with argon2id (OWASP minimum: 19 MiB memory, 2 passes, 1 lane) and strength rules."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

MIN_LENGTH = 8
MIN_LENGTH_STAFF = 10
MAX_LENGTH = 512
STAFF_ROLES = frozenset({"admin", "coordinator", "trainer"})
# zxcvbn's score: 0–1 fall to an online guesser within a million tries, 2 needs about 10^6–10^8.
MIN_SCORE = 2
ESTIMATE_LENGTH = 72


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


def min_length(role: object = None) -> int:
    """8 characters for trainees (shared phones, typed often); 10 for staff, who see everyone's records."""
    return MIN_LENGTH_STAFF if getattr(role, "value", role) in STAFF_ROLES else MIN_LENGTH


def too_guessable(password: str, hints: list[str]) -> bool:
    """Whether an offline attacker's dictionary finds it early: common passwords, words, names, patterns."""
    # zxcvbn ships its lists (the 30,000 most common passwords of public leaks, common words and
    # names) and never calls the network. Only the first 72 characters are estimated: it refuses
    # longer input, and a longer password is not weak because of its end.
    estimate = zxcvbn(password[:ESTIMATE_LENGTH], user_inputs=[h for h in hints if h][:10])
    return estimate["score"] < MIN_SCORE


def password_problem(password: str, *, name: str = "", login: str = "", role: object = None) -> LazyString | None:
    """Why a new password is not acceptable (a sentence in the reader's language), or None."""
    needed = min_length(role)
    if len(password) < needed:
        return _l("The password needs at least %(n)s characters.", n=needed)
    if len(password) > MAX_LENGTH:
        return _l("The password can have at most %(n)s characters.", n=MAX_LENGTH)
    lowered = password.lower()
    hints = [login.lower(), name.lower(), *name.lower().split(), *login.lower().replace(".", " ").split()]
    if lowered in {login.lower(), name.lower(), "peerpath"} or too_guessable(password, [*hints, "peerpath"]):
        return _l(
            "This password is too easy to guess: common passwords and simple patterns are refused. "
            "Try a few words that belong together only for you."
        )
    return None
