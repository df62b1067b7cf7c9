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


class PlatformStorageCheck(Exception):  # noqa: N818 (not an error: a step of the launch)
    """The state cookie is absent, and the platform keeps the state in its own storage.

    The launch goes on in the browser: a page of the tool asks the platform's
    storage for the state and nonce (``lti.get_data``) and posts the launch again
    with them (checklist P1-P3).
    """

    def __init__(self, storage: dict[str, str], state: str, nonce: str,
                 form: dict[str, str]) -> None:
        super().__init__("platform storage check")
        self.storage = storage
        self.state = state
        self.nonce = nonce
        self.form = form


class ServiceError(LtiError):
    """A call to a platform service (key set, token, NRPS) failed."""

    status = 502
