"""Login, account and user-administration forms."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from casemgr.auth.accounts import MIN_PASSWORD_LENGTH
from casemgr.auth.models import ROLES
from casemgr.forms import Form

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]


class LoginForm(Form):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Log in")


class ReauthenticateForm(Form):
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField("Confirm")


class UserCreateForm(Form):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    display_name = StringField("Display name", validators=[Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default="analyst")
    password = PasswordField(
        "Initial password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters; ask the user to change it.",
    )
    submit = SubmitField("Create user")


class UserEditForm(Form):
    display_name = StringField("Display name", validators=[Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    active = BooleanField("Active (may log in)")
    submit = SubmitField("Save")


class PasswordResetForm(Form):
    submit = SubmitField("Reset password")


class PasswordChangeForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField(
        "New password", validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1024)]
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
    )
    submit = SubmitField("Change password")


class TimeZoneForm(Form):
    timezone = SelectField(
        "Time zone",
        description="Dates on your pages are shown in this zone; hover over one to see it in UTC.",
    )
    submit = SubmitField("Save time zone")


class TokenForm(Form):
    name = StringField(
        "Token name",
        validators=[DataRequired(), Length(max=100)],
        description="What the token is for, such as the monitoring feed that uses it.",
    )
    submit = SubmitField("Create token")
