"""Account forms. Labels are lazy so they render in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..webforms import CheckedForm


class LoginForm(CheckedForm):
    login = StringField(
        _l("Email or username"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(max=512)], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Keep me signed in on this device (not on a shared phone)"))
    next = HiddenField()


class SetPasswordForm(CheckedForm):
    password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=512)], render_kw={"autocomplete": "new-password"}
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "current-password"},
    )


class LanguageForm(CheckedForm):
    language = HiddenField(validators=[DataRequired()])
    next = HiddenField()


class UserForm(CheckedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=200)])
    login = StringField(
        _l("Username (optional: made from the name when empty)"), validators=[Optional(), Length(max=200)]
    )
    role = SelectField(_l("Role"), choices=[])
    site = SelectField(_l("Site"), choices=[])


class EditUserForm(CheckedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=[])
    active = BooleanField(_l("Account active (can sign in)"))


class JoinForm(CheckedForm):
    code = StringField(
        _l("Cohort code"),
        validators=[DataRequired(), Length(max=32)],
        render_kw={"autocapitalize": "characters", "autocomplete": "off"},
    )


class JoinNewForm(JoinForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    login = StringField(
        _l("Choose a username, or enter your email"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired(), Length(max=512)],
        render_kw={"autocomplete": "new-password"},
    )
