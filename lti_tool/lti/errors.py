"""Why a login or launch was refused, in words an LMS administrator can act on."""

from __future__ import annotations


class LtiError(Exception):
    """A refused LTI message.

    ``code`` names the check (the line of ``lti-checklist.md``: L1–L7, V1–V20,
    D1–D5, S1–S4); ``message`` is shown on the error page and written to the
    log, so it never contains a token, a key or a secret.
    """

    status = 400

    def __init__(self, code: str, message: str, *, status: int | None = None, **log: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status
        self.log = {k: v for k, v in log.items() if v}


class LoginError(LtiError):
    """The OIDC login initiation cannot go on."""


class LaunchError(LtiError):
    """The id_token launch is refused."""


class CookiesBlockedError(LaunchError):
    """No state cookie came back: the browser blocked the tool's cookies in the frame.

    ``relaunch_url`` restarts the same login outside the frame (a new window has
    first-party cookies), as the checklist's V20 asks.
    """

    status = 401

    def __init__(self, code: str, message: str, *, relaunch_url: str | None = None) -> None:
        super().__init__(code, message)
        self.relaunch_url = relaunch_url


class ServiceError(LtiError):
    """A call to a platform service (key set, token, NRPS) failed."""

    status = 502
