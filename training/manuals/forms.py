"""The form for asking for a manual; choices are filled per user and site by the view."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired
from wtforms.widgets import CheckboxInput, ListWidget

from ..webforms import CheckedForm
from .labels import TEXT


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ManualForm(CheckedForm):
    kind = RadioField(
        _l("What to print"),
        choices=[SelectChoice(kind, TEXT[kind]) for kind in ("workbook", "manual", "handouts")],
        default="workbook",
        validators=[InputRequired()],
    )
    lang = SelectField(_l("Language"), choices=[], validators=[InputRequired()])
    paper = RadioField(
        _l("Paper"),
        choices=[SelectChoice("a4", "A4"), SelectChoice("letter", _l("US Letter"))],
        default="a4",
        validators=[InputRequired()],
    )
    modules = CheckboxesField(_l("Modules (none ticked: all)"), choices=[])
