"""``flask users ...``: the first admin, scripted accounts, password resets without mail."""

from __future__ import annotations

import click
from flask import current_app, url_for
from flask.cli import AppGroup

from ..errors import InvalidInput
from ..extensions import db
from ..web import store as web_store
from . import services
from .models import Role, TokenPurpose

users_cli = AppGroup("users", help="Create accounts and reset passwords.")


def _link(secret: str) -> str:
    with current_app.test_request_context(base_url=current_app.config.get("BASE_URL", "http://127.0.0.1:5000")):
        return url_for("accounts.set_password", token=secret, _external=True)


@users_cli.command("create")
@click.option("--email", help="Email address (also the sign-in name unless --login is given).")
@click.option("--login", help="Sign-in name, for people without email.")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--site", help="Site id (a folder in curriculum/sites); not for admins.")
@click.option("--language", help="Preferred language code.")
@click.option("--password", help="Set a password now instead of printing a one-time link.")
def create_command(email, login, name, role, site, language, password) -> None:
    """Create an account and print its one-time sign-in link."""
    store = web_store()
    if site and site not in store.sites():
        raise click.ClickException(f"--site: unknown site {site!r} (known: {', '.join(store.sites()) or 'none'})")
    if language and language not in store.meta().languages:
        raise click.ClickException(f"--language: unknown language {language!r}")
    if not email and not login:
        raise click.ClickException("give --email or --login")
    try:
        user, secret = services.create_user(
            None,
            name=name,
            role=Role(role),
            site_id=site,
            email=email,
            login=login,
            language=language,
            password=password,
        )
    except InvalidInput as exc:
        raise click.ClickException(f"--{exc.field}: {exc.message}") from None
    db.session.commit()
    click.echo(f"created {user.role.value} {user.login} (id {user.id})")
    if secret:
        click.echo(f"one-time link (valid 14 days): {_link(secret)}")


@users_cli.command("reset-password")
@click.argument("login")
@click.option("--password", help="Set this password now instead of printing a one-time link.")
def reset_password_command(login: str, password: str | None) -> None:
    """Print a one-time link for LOGIN to choose a new password (or set one directly)."""
    user = services.find_by_login(login)
    if user is None:
        raise click.ClickException(f"no account with sign-in name {login!r}")
    if password:
        from .passwords import hash_password, password_problem

        problem = password_problem(password, name=user.name, login=user.login, role=user.role)
        if problem:
            raise click.ClickException(f"--password: {problem}")
        user.password_hash = hash_password(password)
        user.end_sessions()  # an operator's reset is for a lost or taken-over account
        db.session.commit()
        click.echo(f"password set for {user.login}")
        return
    secret = services.issue_token(None, user, TokenPurpose.RESET)
    db.session.commit()
    click.echo(f"one-time link for {user.login} (valid 2 days): {_link(secret)}")
