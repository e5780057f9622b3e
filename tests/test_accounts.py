"""Sign-in, one-time links, password rules, rate limiting, CSRF, cookies, the users CLI."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from training.accounts import services
from training.accounts.models import AccountToken, Role, TokenPurpose, User
from training.extensions import db

from .conftest import PASSWORD, login, make_app
from .pages import field_errors


def test_login_and_logout(client, people):
    response = login(client, people.trainee)
    assert response.headers["Location"] == "/en/"  # the module list, without a stop at "/"
    assert "Sign out" in client.get("/en/").get_data(as_text=True)
    assert "Abmelden" in client.get("/de/").get_data(as_text=True)  # the German catalog
    client.post("/logout")
    assert client.get("/account").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, people):
    response = client.post("/login", data={"login": "trainee", "password": "wrong password"})
    assert response.status_code == 200
    assert "Sign-in name or password is not right." in response.get_data(as_text=True)
    response = client.post("/login", data={"login": "nobody", "password": "wrong password"})
    assert "Sign-in name or password is not right." in response.get_data(as_text=True)


def test_sign_in_lands_on_the_module_list_in_the_users_language(app, client, people):
    """One redirect after signing in, to the page the root would have redirected to."""
    with app.app_context():
        db.session.get(User, people.trainee.id).language = "sw"
        db.session.commit()
    response = login(client, people.trainee)
    assert response.headers["Location"] == "/sw/"
    page = client.get("/sw/")
    assert page.status_code == 200 and 'lang="sw"' in page.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(app, client, people):
    with app.app_context():
        db.session.get(User, people.trainee.id).active = False
        db.session.commit()
    response = client.post("/login", data={"login": "trainee", "password": PASSWORD})
    assert response.status_code == 200
    # The same words as for a wrong password: the form does not tell who has an account.
    assert "Sign-in name or password is not right." in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # still signed out


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/de/modules/peer-role/", "/de/modules/peer-role/"),
        ("https://evil.example/", "/en/"),
        ("//evil.example/", "/en/"),
        ("/\\evil.example", "/en/"),
        ("javascript:alert(1)", "/en/"),
    ],
)
def test_next_redirect_stays_on_site(client, people, target, expected):
    response = client.post("/login", data={"login": "trainee", "password": PASSWORD, "next": target})
    assert response.headers["Location"] == expected


def test_password_hash_is_argon2id(app, people):
    with app.app_context():
        assert db.session.get(User, people.trainee.id).password_hash.startswith("$argon2id$")


def test_session_cookie_flags(client, people):
    response = client.post("/login", data={"login": "trainee", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_in_production(monkeypatch, tmp_path):
    from training.config import from_environment

    monkeypatch.setenv("PEERPATH_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("BASE_URL", "https://training.example.org")
    settings = from_environment(tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    from training.config import ConfigError, from_environment

    monkeypatch.setenv("PEERPATH_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        from_environment(tmp_path)
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="too short"):
        from_environment(tmp_path)


def test_development_key_is_generated_once(monkeypatch, tmp_path):
    from training.config import from_environment

    monkeypatch.delenv("PEERPATH_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = from_environment(tmp_path)["SECRET_KEY"]
    assert len(first) >= 32 and from_environment(tmp_path)["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_login_is_rate_limited(database_url, tmp_path):
    app = make_app(database_url, tmp_path, RATELIMIT_ENABLED=True)
    client = app.test_client()
    # Failed attempts only (a class shares one address); one account backs off after five.
    codes = [client.post("/login", data={"login": "x", "password": "y"}).status_code for _ in range(6)]
    assert codes[:5] == [200] * 5 and codes[5] == 429
    assert "Too many attempts" in client.post("/login", data={"login": "x", "password": "y"}).get_data(as_text=True)


def test_forged_form_without_csrf_token_is_refused(database_url, tmp_path, people):
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/login", data={"login": "trainee", "password": PASSWORD})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)


def test_csrf_refusal_shows_typed_text_so_nothing_is_lost(database_url, tmp_path):
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from .conftest import make_user

        make_user("writer", Role.TRAINEE, "elbtal")
        db.session.commit()
    client = app.test_client()
    from .conftest import csrf_token

    token = csrf_token(client, "/login")
    assert client.post("/login", data={"login": "writer", "password": PASSWORD, "csrf_token": token}).status_code == 302
    response = client.post("/de/modules/peer-role/journal", data={"prompt": "", "body": "My precious words"})
    assert response.status_code == 400
    assert "My precious words" in response.get_data(as_text=True)


def test_one_time_link_sets_password_once(app, client, people):
    with app.app_context():
        user = db.session.get(User, people.trainee.id)
        secret = services.issue_token(None, user, TokenPurpose.RESET)
        db.session.commit()
    page = client.get(f"/set-password/{secret}")
    assert page.status_code == 200 and "trainee" in page.get_data(as_text=True)
    mismatch = client.post(f"/set-password/{secret}", data={"password": "a new password", "confirm": "other one"})
    assert "The two passwords are not the same." in mismatch.get_data(as_text=True)
    short = client.post(f"/set-password/{secret}", data={"password": "short", "confirm": "short"})
    assert "The password needs at least 8 characters." in short.get_data(as_text=True)
    done = client.post(f"/set-password/{secret}", data={"password": "a new password", "confirm": "a new password"})
    assert done.status_code == 302
    assert client.get(f"/set-password/{secret}").status_code == 404
    client.post("/logout")
    login(client, "trainee", "a new password")


def test_expired_link_does_not_work(app, client, people):
    with app.app_context():
        user = db.session.get(User, people.trainee.id)
        secret = services.issue_token(None, user, TokenPurpose.RESET, now=datetime.now(UTC) - timedelta(days=3))
        db.session.commit()
    assert client.get(f"/set-password/{secret}").status_code == 404


def test_new_link_replaces_old_and_only_hash_is_stored(app, people):
    with app.app_context():
        user = db.session.get(User, people.trainee.id)
        first = services.issue_token(None, user, TokenPurpose.RESET)
        second = services.issue_token(None, user, TokenPurpose.RESET)
        db.session.commit()
        assert services.token_user(first) is None and services.token_user(second) is not None
        hashes = [t.token_hash for t in db.session.query(AccountToken).all()]
        assert first not in hashes and second not in hashes


def test_password_change_ends_other_sessions(app, people):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, people.trainee)
    login(laptop, people.trainee)
    response = laptop.post(
        "/account", data={"current": PASSWORD, "password": "brand new secret", "confirm": "brand new secret"}
    )
    assert response.status_code == 302
    account = laptop.get(response.headers["Location"])
    assert account.status_code == 200 and "Your password is changed." in account.get_data(as_text=True)
    assert laptop.get("/account").status_code == 200  # this device stays signed in
    assert phone.get("/account").status_code == 302  # signed out
    # The new password is the one that works now.
    assert "Sign-in name or password is not right." in app.test_client().post(
        "/login", data={"login": "trainee", "password": PASSWORD}
    ).get_data(as_text=True)
    login(app.test_client(), people.trainee, "brand new secret")


def test_users_cli_create_and_reset(runner, app):
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.org", "--name", "Boss", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert re.search(r"one-time link \(valid 14 days\): http://127\.0\.0\.1:5000/set-password/\S+", result.output)
    with app.app_context():
        user = services.find_by_login("boss@example.org")
        assert user.role == Role.ADMIN and user.site_id is None and user.password_hash is None
    again = runner.invoke(args=["users", "create", "--email", "boss@example.org", "--name", "B", "--role", "admin"])
    assert again.exit_code == 1 and "exists already" in again.output
    bad_site = runner.invoke(
        args=["users", "create", "--login", "t1", "--name", "T", "--role", "trainer", "--site", "nowhere"]
    )
    assert bad_site.exit_code == 1 and "--site: unknown site 'nowhere'" in bad_site.output
    reset = runner.invoke(args=["users", "reset-password", "boss@example.org"])
    assert reset.exit_code == 0 and "/set-password/" in reset.output
    direct = runner.invoke(args=["users", "reset-password", "boss@example.org", "--password", "a good long one"])
    assert direct.exit_code == 0
    missing = runner.invoke(args=["users", "reset-password", "ghost"])
    assert missing.exit_code == 1 and "no account" in missing.output


def test_coordinator_creates_trainer_with_printable_link(client, people, app):
    login(client, people.coordinator)
    response = client.post(
        "/manage/users/new", data={"name": "Nina Neu", "email": "nina@example.org", "role": "trainer", "site": "elbtal"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "/set-password/" in html and "<svg" in html
    with app.app_context():
        assert services.find_by_login("nina@example.org").site_id == "elbtal"


def test_coordinator_cannot_create_admin_or_other_site(client, people, app):
    login(client, people.coordinator)
    response = client.post(
        "/manage/users/new", data={"name": "X", "login": "xadmin", "role": "admin", "site": "elbtal"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "/set-password/" not in html
    assert field_errors(html) == {"role": "Not a valid choice."}
    response = client.post(
        "/manage/users/new", data={"name": "Y", "login": "ygalil", "role": "trainer", "site": "galil"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "/set-password/" not in html
    assert field_errors(html) == {"site": "Not a valid choice."}
    with app.app_context():
        assert services.find_by_login("xadmin") is None and services.find_by_login("ygalil") is None


def test_rate_limit_is_shared_through_redis_between_workers(database_url, tmp_path):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    prefix = f"peerpath-test-{secrets_token()}"
    settings = {"RATELIMIT_ENABLED": True, "REDIS_URL": "redis://127.0.0.1:6379/15", "RATELIMIT_KEY_PREFIX": prefix}
    worker_a = make_app(database_url, tmp_path, **settings).test_client()
    worker_b = make_app(database_url, tmp_path, **settings).test_client()
    # Sign-in counts failures in the database (test_field_sign_in); joining with a code
    # uses Flask-Limiter: 20 wrong codes per hour and address, counted across workers.
    wrong = {"code": "NOPE2345", "name": "N", "login": "nobody", "password": "long enough pass"}
    codes = [(worker_a if n % 2 else worker_b).post("/join", data=wrong).status_code for n in range(21)]
    assert codes[:20] == [200] * 20 and codes[20] == 429
    client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)
    client.close()


def secrets_token() -> str:
    import secrets

    return secrets.token_hex(4)


def test_account_holder_sees_who_made_sign_in_links(app, people, client):
    with app.app_context():
        trainer = db.session.get(User, people.trainer.id)
        services.issue_token(trainer, db.session.get(User, people.trainee.id), TokenPurpose.RESET)
        db.session.commit()
    login(client, people.trainee)
    html = client.get("/account").get_data(as_text=True)
    assert f"Sign-in link made by {people.trainer.name}" in html
