"""Coordinators and admins manage accounts: list, create (with a one-time link), edit, reset."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..errors import InvalidInput, NotFoundError
from ..extensions import db
from ..permissions import is_overseer, manageable_roles, oversees_every_site, visible_users
from ..roles import role_name
from ..web import store
from ..webforms import attach_error, link_page, requires
from . import services
from .forms import EditUserForm, UserForm
from .models import Role, TokenPurpose, User

bp = Blueprint("manage", __name__, url_prefix="/manage")


def _role_choices() -> list[tuple[str, str]]:
    return [(r.value, role_name(r)) for r in manageable_roles(current_user)]


def _site_choices() -> list[tuple[str, str]]:
    sites = store().sites()
    if oversees_every_site(current_user):
        return [("", "—"), *((s.id, s.name) for s in sites.values())]
    site = sites.get(current_user.site_id)
    return [(current_user.site_id, site.name if site else current_user.site_id)]


@bp.get("/users/")
@requires(is_overseer)
def users():
    query = visible_users(current_user).order_by(User.site_id, User.role, User.name)
    role = request.args.get("role")
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    people = list(db.session.scalars(query))
    return render_template("manage/users.html", people=people, sites=store().sites(), role=role)


@bp.route("/users/new", methods=["GET", "POST"])
@requires(is_overseer)
def new_user():
    form = UserForm()
    form.role.choices = _role_choices()
    form.site.choices = _site_choices()
    if form.validate_on_submit():
        try:
            person, secret = services.create_user(
                current_user,
                name=form.name.data,
                role=Role(form.role.data),
                site_id=form.site.data or None,
                email=form.email.data,
                login=form.login.data,
            )
        except InvalidInput as exc:
            attach_error(form, exc)
        except NotFoundError:
            form.role.errors = [_("You cannot give this role.")]
        else:
            db.session.commit()
            return link_page(person, secret, "invite", url_for("manage.users"))
    return render_template("manage/user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(is_overseer)
def edit_user(user_id: int):
    person = services.managed_user(current_user, user_id)
    form = EditUserForm(obj=person) if request.method == "GET" else EditUserForm()
    form.role.choices = _role_choices()
    if request.method == "GET":
        form.role.data = person.role.value
    if form.validate_on_submit():
        try:
            services.update_user(
                current_user,
                person,
                name=form.name.data,
                email=form.email.data,
                role=Role(form.role.data),
                active=form.active.data,
            )
        except InvalidInput as exc:
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "info")
            return redirect(url_for("manage.users"))
    return render_template("manage/user_edit.html", form=form, person=person)


@bp.post("/users/<int:user_id>/link")
@requires(is_overseer)
def user_link(user_id: int):
    person = services.managed_user(current_user, user_id)
    purpose = TokenPurpose.RESET if person.password_hash else TokenPurpose.INVITE
    secret = services.issue_token(current_user, person, purpose)
    db.session.commit()
    return link_page(person, secret, purpose.value, url_for("manage.users"))
