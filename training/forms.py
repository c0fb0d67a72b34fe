"""Forms shared by several features."""

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token is checked."""


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the option objects SelectField takes."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip(value):
    """A field filter: text without the spaces around it (a phone pasted with a trailing space)."""
    return value.strip() if isinstance(value, str) else value
