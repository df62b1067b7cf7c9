"""The configuration page at ``/admin/`` on the tool's own site (127.0.0.1)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, Response


@dataclass(frozen=True)
class PlatformValues:
    """What an administrator copies from an LMS into "Add a platform"."""

    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: str

    @classmethod
    def unique(cls, key_set_url: str) -> PlatformValues:
        """A new platform whose key set URL is reachable here (a loopback http:// URL)."""
        tag = uuid.uuid4().hex[:8]
        return cls(
            name=f"Northwind Canvas {tag}",
            issuer=f"https://canvas-{tag}.northwind.example",
            client_id=f"10000000000{tag}",
            auth_login_url=f"https://sso-{tag}.northwind.example/api/lti/authorize_redirect",
            auth_token_url=f"https://sso-{tag}.northwind.example/login/oauth2/token",
            key_set_url=key_set_url,
            deployment_ids=f"deploy-{tag}",
        )

    def fields(self) -> dict[str, str]:
        """Field id -> value, in the order of the form."""
        return {
            "name": self.name,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.auth_login_url,
            "auth_token_url": self.auth_token_url,
            "key_set_url": self.key_set_url,
            "deployment_ids": self.deployment_ids,
        }


class AdminPage:
    """The admin area: login, platforms, setup values and keys."""

    def __init__(self, page: Page, tool_url: str) -> None:
        self.page = page
        self.tool_url = tool_url

    def url(self, path: str) -> str:
        return f"{self.tool_url}/admin{path}"

    @property
    def heading(self) -> Locator:
        return self.page.locator("main h1")

    @property
    def flash(self) -> Locator:
        return self.page.locator(".flashes")

    def open(self, path: str = "/") -> Response | None:
        return self.page.goto(self.url(path))

    # ----------------------------------------------------------------------- login

    def open_login(self) -> None:
        self.open("/login")

    def login(self, username: str, password: str) -> None:
        self.open_login()
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Log in").click()

    # ----------------------------------------------------------------------- platforms

    def platform_rows(self) -> Locator:
        return self.page.locator("table tbody tr")

    def platform_names(self) -> list[str]:
        return [n.strip() for n in self.page.locator("tbody th[scope=row]").all_inner_texts()]

    def open_new_platform(self) -> None:
        self.open("/platforms/new")

    def fill_platform(self, values: PlatformValues) -> None:
        for field_id, value in values.fields().items():
            self.page.locator(f"#{field_id}").fill(value)

    def submit_platform(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Add platform").click()

    def field(self, field_id: str) -> Locator:
        return self.page.locator(f"#{field_id}")

    # ----------------------------------------------------------------------- keys

    def key_rows(self) -> Locator:
        return self.page.locator("table tbody tr")

    def key_ids(self) -> list[str]:
        return [k.strip() for k in self.page.locator("tbody th[scope=row] code").all_inner_texts()]

    def key_status(self, kid: str) -> str:
        row = self.page.locator("tbody tr", has=self.page.locator("code", has_text=kid))
        return row.locator(".status").inner_text().strip()

    def generate_key(self) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Generate a new key").click()

    def retire_key(self, kid: str, *, confirm: bool = True) -> str:
        """Press "Retire" and answer the question it asks; return the question."""
        asked: list[str] = []

        def answer(dialog):  # type: ignore[no-untyped-def]
            asked.append(dialog.message)
            dialog.accept() if confirm else dialog.dismiss()

        self.page.once("dialog", answer)
        button = self.page.get_by_role("button", name=f"Retire key {kid}")
        if confirm:
            with self.page.expect_navigation():
                button.click()
        else:
            button.click()
        assert asked, "Retire asked nothing before retiring the key"
        return asked[0]
