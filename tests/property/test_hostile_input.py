"""Hostile values at every route of the app, as four kinds of client (property-based).

For each URL rule of the application (walked from the URL map, so a new route is
covered without editing this file) and each client (anonymous, a learner, a
teacher, a logged-in administrator), Hypothesis draws hostile values for the
URL's variables, the query string, the form fields that any template of the tool
names, and JSON bodies: NUL bytes, lone surrogates, right-to-left overrides,
huge and non-ASCII numbers, deep JSON, very long strings, markup. Every answer
must be below 500, a refused request (4xx) must leave the database exactly as it
was, and no page may carry the injected markup unescaped.

On SQLite and, like every test here, on PostgreSQL + Redis. The number of
examples per route is ``STAFFROOM_HYPOTHESIS_EXAMPLES`` (default 4); the runs are
derandomized, so a failure reproduces.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lti_tool import create_app
from lti_tool.extensions import db
from tests.admin.conftest import PASSWORD, AdminBrowser
from tests.tasks.helpers import (
    LEARNER,
    course_space,
    csrf,
    launch,
    person,
    plan,
    task,
    team_space,
)

EXAMPLES = int(os.environ.get("STAFFROOM_HYPOTHESIS_EXAMPLES", "4"))
ROOT = Path(__file__).resolve().parents[2]

# --- what to send ------------------------------------------------------------------------

MARKUP = '<script>alert("x")</script>'
ATTRIBUTE = '" onmouseover="alert(1)" x="'
HOSTILE_TEXT = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\u202eevil\u202c", "\u200f\u200e",
    "²", "٣", "１２", "-1", "0", "1e9", "99999999999999999999", str(2**31), str(2**63),
    "NaN", "null", "true", "[]", "{}", "%00", "../../etc/passwd", "\\", "'; DROP TABLE x;--",
    MARKUP, ATTRIBUTE, "[x](javascript:alert(1))", "@Ada Teacher", "\r\nSet-Cookie: x=1",
    "x" * 10_000, "é" * 3000, "plan:1", "plan:²", "space:99999999999", "builtin:unit",
    "new-unit", "plan-1", "2030-02-31", "2030-01-01", "todo", "done", "accept", "unit",
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
hostile_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
              st.floats(allow_nan=False), hostile_text),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(hostile_text, children, max_size=4)),
    max_leaves=12,
)


def _template_field_names() -> list[str]:
    """Every form field name any template of the tool uses (so new forms are covered)."""
    names: set[str] = set()
    for path in (ROOT / "templates").rglob("*.html"):
        names |= set(re.findall(r'name="([A-Za-z_][A-Za-z0-9_\-]*)"', path.read_text()))
    for path in (ROOT / "lti_tool").rglob("forms.py"):
        names |= set(re.findall(r"^\s+([a-z_]+) = \w+Field\(", path.read_text(), re.M))
    return sorted(names - {"csrf_token"})


FIELDS = _template_field_names()


def _rules() -> list[tuple[str, str, tuple[str, ...]]]:
    """(rule, method, variables) of every route, from an app built only to read its URL map."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ENV_NAME": "testing"})
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((rule.rule, method, tuple(sorted(rule.arguments))))
    return sorted(found)


RULES = _rules()
ROLES = ("anonymous", "learner", "teacher", "admin")


# --- the world the requests meet -----------------------------------------------------------


def _world(app, platform) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Two teachers, a learner, a course space and a team space with plans and tasks."""
    clients = {
        "anonymous": app.test_client(),
        "teacher": launch(app, platform),
        "learner": launch(app, platform, sub="learner-1", name="Lee Learner", roles=[LEARNER]),
    }
    launch(app, platform, sub="teacher-2", name="Ben Colleague")
    space = course_space()
    team = team_space("Science team", person("teacher-1"), person("teacher-2"))
    for where in (space, team):
        unit = plan(where, "Forces unit", body="- [ ] book the lab", author=person("teacher-2"))
        task(where, "Book the lab", person("teacher-1"), plan_row=unit)
    from lti_tool.accounts import auth
    from lti_tool.extensions import limiter

    limiter.reset()  # earlier examples' failed logins must not keep the administrator out
    auth.create_admin("admin", PASSWORD)
    admin = AdminBrowser(app.test_client())
    assert admin.login().status_code == 303
    clients["admin"] = admin.client
    return clients


def _fingerprint() -> str:
    """Every row of every table, hashed: a refused request must not change it."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
        digest.update(table.name.encode())
        digest.update(repr([tuple(r) for r in rows]).encode())
    db.session.rollback()
    return digest.hexdigest()


def _q(text: str) -> str:
    """Percent-encoded as a hostile client would send it: a lone surrogate becomes the
    invalid UTF-8 bytes it encodes to (no browser sends it; an attacker can)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _path(rule: str, values: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        return _q(values[match.group(2)])

    return re.sub(r"<(?:[^:<>]+:)?([^<>]*?)?([A-Za-z_]+)>", fill, rule)


def _variable(name: str, rule: str) -> st.SearchStrategy[str]:
    converter = re.search(rf"<([^:<>]+)(?:\([^)]*\))?:{name}>", rule)
    kind = converter.group(1) if converter else "string"
    if kind.startswith("any"):
        options = re.search(rf"<any\(([^)]*)\):{name}>", rule)
        choices = [o.strip() for o in options.group(1).split(",")] if options else ["x"]
        return st.one_of(st.sampled_from(choices), hostile_text)
    if kind == "int":
        return st.one_of(st.integers(min_value=1, max_value=6).map(str),
                         st.sampled_from(["0", "²", "٣", "99999999999999999999", str(2**31)]),
                         st.integers(min_value=-5, max_value=2**40).map(str))
    return st.one_of(st.sampled_from(["plan", "space", "note", "observation", "memo"]),
                     hostile_text)


# --- the property --------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "method", "variables"), RULES,
                         ids=[f"{m} {r}" for r, m, _ in RULES])
def test_no_route_answers_hostile_input_with_a_5xx_or_a_change_it_refused(
    app, platform, rule, method, variables
):
    clients = _world(app, platform)
    path_values = st.fixed_dictionaries({v: _variable(v, rule) for v in variables})
    form = st.dictionaries(st.sampled_from(FIELDS), hostile_text, max_size=8)
    query = st.dictionaries(st.sampled_from(FIELDS + ["q", "next", "on", "template"]),
                            hostile_text, max_size=4)

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(role=st.sampled_from(ROLES), values=path_values, query=query, form=form,
           body=st.one_of(st.none(), hostile_json), with_token=st.booleans())
    def check(role, values, query, form, body, with_token):  # type: ignore[no-untyped-def]
        client = clients[role]
        url = _path(rule, values)
        if query:
            url += "?" + "&".join(f"{_q(k)}={_q(v)}" for k, v in query.items())
        before = _fingerprint()
        with app.app_context():
            if method == "GET":
                resp = client.get(url)
            else:
                token = csrf(client) if with_token else "forged"
                if body is not None:
                    resp = client.post(url, data=json.dumps(body), headers={"X-CSRFToken": token},
                                       content_type="application/json")
                else:
                    fields = {**form, "csrf_token": token}
                    resp = client.post(
                        url, data="&".join(f"{_q(k)}={_q(v)}" for k, v in fields.items()),
                        content_type="application/x-www-form-urlencoded")
        status = resp.status_code
        assert status < 500, f"{role} {method} {url} -> {status}"
        if 400 <= status < 500:
            assert _fingerprint() == before, f"{role} {method} {url} -> {status} changed data"
        if resp.mimetype == "text/html":
            page = resp.get_data(as_text=True)
            assert MARKUP not in page, f"{role} {method} {url} shows the markup unescaped"
            assert 'onmouseover="alert(1)"' not in page, f"{role} {method} {url}"
            assert 'href="javascript:' not in page.lower(), f"{role} {method} {url}"

    check()
