"""Entry point for `flask` (auto-discovered) and WSGI servers: `gunicorn app:app`."""

from training import create_app

app = create_app()
