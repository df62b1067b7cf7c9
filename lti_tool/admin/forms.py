"""The admin page's forms. Every one is a FlaskForm, so every POST carries a CSRF token.

The registration forms hold no validation of their own: the registrations
service checks the values (the same checks as the command line) and its
per-field messages are attached to these fields by the views.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField, URLField
from wtforms.validators import InputRequired

from lti_tool.lti.registrations import PlatformData


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired("Enter your username.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


class PlatformForm(FlaskForm):
    """A registration's settings, as the LMS shows them to its administrator."""

    name = StringField("Name")
    issuer = URLField("Issuer (platform ID)")
    client_id = StringField("Client ID")
    auth_login_url = URLField("Authentication request URL (OIDC auth endpoint)")
    auth_token_url = URLField("Access token URL")
    auth_audience = URLField("Token audience (optional)")
    key_set_url = URLField("Public keyset URL")
    key_set = TextAreaField("Public key set, as a JWK Set (only without a keyset URL)")

    def to_data(self) -> PlatformData:
        return PlatformData(
            name=self.name.data or "",
            issuer=self.issuer.data or "",
            client_id=self.client_id.data or "",
            auth_login_url=self.auth_login_url.data or "",
            auth_token_url=self.auth_token_url.data or "",
            auth_audience=self.auth_audience.data or None,
            key_set_url=self.key_set_url.data or None,
            key_set=self.key_set.data or None,
        )


class NewPlatformForm(PlatformForm):
    deployment_ids = TextAreaField("Deployment IDs (one per line)")


class DeploymentForm(FlaskForm):
    deployment_id = StringField("Deployment ID")
    deployment_name = StringField("Label (optional)")


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token: for buttons that change something."""
