"""Configuration from the environment, checked once at start-up.

| variable | default |
|---|---|
| PEERPATH_ENV | development (production refuses weak settings) |
| SECRET_KEY | generated into the instance folder outside production |
| DATABASE_URL | sqlite:///<instance>/peerpath.db |
| CURRICULUM_DIR | <project>/curriculum |
| CURRICULUM_FRESHNESS | 1 (seconds a checked curriculum is trusted; 0: check on every request) |
| REDIS_URL | unset: in-process worker and in-memory rate limits |
| MANUAL_CACHE_DIR | <instance>/manuals (built PDF manuals; shared storage when several hosts build) |
| BASE_URL | http://127.0.0.1:5000; required in production (links printed by the CLI and on certificates) |
| PROXY_COUNT | 0; behind a reverse proxy, how many proxies to trust for the client address and host |
| MANUAL_HEARTBEAT_SECONDS | 5: a building process writes a sign of life this often |
| MANUAL_STALE_SECONDS | 30: a build silent this long is dead (its process was killed) and can be retried |
| SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, MAIL_FROM | unset: no mail, links shown on screen |
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """A setting that would make the site unsafe or unable to run."""


def _secret_key(instance: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        if len(key) < MIN_SECRET_LENGTH:
            raise ConfigError(f"SECRET_KEY is too short: use at least {MIN_SECRET_LENGTH} random characters")
        return key
    if production:
        raise ConfigError("SECRET_KEY must be set in production (PEERPATH_ENV=production)")
    # Development: one random key per instance folder, so sessions survive restarts.
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(instance: Path) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'peerpath.db'}"
    # Heroku-style URLs; SQLAlchemy 2 wants the driver spelled out.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _local_host(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")
    return address.is_loopback or address.is_unspecified


def _base_url(production: bool) -> str:
    """The public address printed on certificates (text and QR code) and in CLI links."""
    url = (os.environ.get("BASE_URL") or "").strip().rstrip("/")
    if not production:
        return url or "http://127.0.0.1:5000"
    # In production a wrong address is printed on paper that outlives any fix: refuse to start.
    if not url:
        raise ConfigError(
            "BASE_URL must be set in production (PEERPATH_ENV=production): the public address, "
            "e.g. https://training.example.org, printed on certificates and their QR codes"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"BASE_URL must be an http(s) address such as https://training.example.org, not {url!r}")
    if _local_host(parts.hostname):
        raise ConfigError(f"BASE_URL is {url!r}: in production it must be the address people outside can open")
    return url


def from_environment(instance: Path) -> dict[str, Any]:
    """Settings for a real run; tests pass their own mapping on top."""
    production = os.environ.get("PEERPATH_ENV", "development") == "production"
    return {
        "PEERPATH_ENV": "production" if production else "development",
        "SECRET_KEY": _secret_key(instance, production),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance),
        "CURRICULUM_DIR": os.environ.get("CURRICULUM_DIR") or str(PROJECT_ROOT / "curriculum"),
        "CURRICULUM_FRESHNESS": float(os.environ.get("CURRICULUM_FRESHNESS") or 1.0),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "MANUAL_CACHE_DIR": os.environ.get("MANUAL_CACHE_DIR") or None,
        "SMTP_HOST": os.environ.get("SMTP_HOST") or None,
        "SMTP_PORT": int(os.environ.get("SMTP_PORT") or 587),
        "SMTP_USER": os.environ.get("SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "peerpath@localhost",
        "BASE_URL": _base_url(production),
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT") or 0),
        "MANUAL_HEARTBEAT_SECONDS": float(os.environ.get("MANUAL_HEARTBEAT_SECONDS") or 5),
        "MANUAL_STALE_SECONDS": float(os.environ.get("MANUAL_STALE_SECONDS") or 30),
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
    }


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(days=14),
    "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session: shared phones sit idle
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Redis down: limits go on in each process's memory (logged), never a 500 on sign-in.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "RATELIMIT_SWALLOW_ERRORS": True,
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "MANUAL_CACHE_DIR": None,  # default: <instance>/manuals
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    "MAIL_FROM": "peerpath@localhost",
    "BASE_URL": "http://127.0.0.1:5000",
    "REDIS_URL": None,
    "PROXY_COUNT": 0,
    # Seconds the curriculum files are trusted unchecked (checked at most once per request anyway).
    "CURRICULUM_FRESHNESS": 1.0,
}
