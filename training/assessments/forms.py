"""Assessment forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..webforms import CheckedForm


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AssessmentForm(CheckedForm):
    submission_id = HiddenField()
    evidence_kind = RadioField(_l("Kind of evidence"), choices=[], validators=[DataRequired()])
    checklist = MultiCheckboxField(_l("What you observed"), choices=[], validators=[Optional()])
    level = RadioField(_l("Level"), choices=[], validators=[Optional()], coerce=str)
    observed_on = DateField(_l("Date observed"), validators=[DataRequired()])
    workshop = SelectField(_l("Workshop (optional)"), choices=[], validators=[Optional()])
    note = TextAreaField(_l("Short note (what you saw; no diagnoses)"), validators=[Optional(), Length(max=2000)])


class ReasonForm(CheckedForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class IssueForm(CheckedForm):
    trainer = SelectField(_l("Issuing trainer"), choices=[], coerce=int)
