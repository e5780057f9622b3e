"""Cohort forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..webforms import CheckedForm


class CohortForm(CheckedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language"), choices=[])
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    trainers = SelectMultipleField(_l("Trainers"), choices=[], coerce=int)
    archived = BooleanField(_l("Archived (finished; the join code stops working)"))


class NewTraineeForm(CheckedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email (optional)"), validators=[Optional(), Length(max=200)])
    login = StringField(
        _l("Username (optional: made from the name when empty)"), validators=[Optional(), Length(max=200)]
    )


class EnrolForm(CheckedForm):
    trainee = SelectField(_l("Trainee"), choices=[], coerce=int)


class WorkshopForm(CheckedForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    modules = SelectMultipleField(
        _l("Modules covered"),
        choices=[],
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
