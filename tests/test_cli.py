"""``flask --app lti_tool admin|platform|keys``: the same checks as the admin page."""

from __future__ import annotations

import json

import pytest

from lti_tool.accounts import auth
from lti_tool.accounts.models import AdminUser
from lti_tool.extensions import db
from lti_tool.lti import keys, registrations
from lti_tool.lti.models import Platform, ToolKey
from tests.support.platform import TestPlatform

PASSWORD = "correct horse battery staple"


def _platforms() -> list[Platform]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Platform).order_by(Platform.id)))


@pytest.fixture
def tp(key_server) -> TestPlatform:
    return TestPlatform(
        issuer="https://moodle.school.test",
        client_id="Ab12Cd34Ef56Gh7",
        deployment_ids=["7"],
        key_server=key_server,
        auth_login_url="https://moodle.school.test/mod/lti/auth.php",
        auth_token_url="https://moodle.school.test/mod/lti/token.php",
    )


def _add_args(tp: TestPlatform, *extra: str) -> list[str]:
    return [
        "platform", "add", "--name", "School Moodle", "--issuer", tp.issuer,
        "--client-id", tp.client_id, "--auth-login-url", tp.auth_login_url,
        "--auth-token-url", tp.auth_token_url, *extra,
    ]


# --------------------------------------------------------------------------- admin


def test_admin_create_with_password_option(runner):
    result = runner.invoke(args=["admin", "create", "--username", "ada", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Administrator 'ada' created" in result.output
    db.session.expire_all()
    user = auth.find_admin("ada")
    assert user is not None
    assert user.check_password(PASSWORD)


def test_admin_create_prompts_twice_without_echo(runner):
    result = runner.invoke(args=["admin", "create", "--username", "ada"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output
    assert "Repeat for confirmation:" in result.output
    assert PASSWORD not in result.output
    db.session.expire_all()
    assert auth.find_admin("ada").check_password(PASSWORD)


def test_admin_create_asks_again_when_the_passwords_differ(runner):
    result = runner.invoke(args=["admin", "create", "--username", "ada"],
                           input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output


def test_admin_create_refuses_a_short_password(runner):
    result = runner.invoke(args=["admin", "create", "--username", "ada", "--password", "short"])
    assert result.exit_code == 1
    assert "The password must have at least 12 characters." in result.output
    db.session.expire_all()
    assert db.session.scalars(db.select(AdminUser)).all() == []


def test_admin_create_refuses_a_duplicate_username(runner):
    auth.create_admin("ada", PASSWORD)
    result = runner.invoke(args=["admin", "create", "--username", "ada", "--password", PASSWORD])
    assert result.exit_code == 1
    assert "An administrator named 'ada' already exists." in result.output
    # Regardless of case, and before any password is asked for.
    result = runner.invoke(args=["admin", "create", "--username", "ADA"])
    assert result.exit_code == 1
    assert "An administrator named 'ada' already exists." in result.output
    assert "Password" not in result.output


def test_admin_list_and_set_password(runner):
    assert "No administrator yet" in runner.invoke(args=["admin", "list"]).output
    auth.create_admin("ada", PASSWORD)
    auth.create_admin("grace", PASSWORD)
    output = runner.invoke(args=["admin", "list"]).output
    assert output.splitlines()[0].split() == ["USERNAME", "STATUS", "CREATED", "(UTC)", "LAST",
                                              "LOGIN", "(UTC)"]
    assert "ada" in output
    assert "grace" in output
    assert "never" in output

    result = runner.invoke(args=["admin", "set-password", "--username", "ada",
                                 "--password", "another long password"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert auth.find_admin("ada").check_password("another long password")
    missing = runner.invoke(args=["admin", "set-password", "--username", "nobody",
                                  "--password", PASSWORD])
    assert missing.exit_code == 1
    assert "no administrator named 'nobody'" in missing.output


# --------------------------------------------------------------------------- platform


def test_platform_add_checks_the_key_set_and_stores_deployments(runner, tp, key_server):
    before = key_server.fetches(tp.jwks_path)
    result = runner.invoke(args=_add_args(tp, "--key-set-url", tp.key_set_url,
                                          "--deployment-id", "7", "--deployment-id", "8"))
    assert result.exit_code == 0, result.output
    assert "Registered School Moodle" in result.output
    [stored] = _platforms()
    assert [d.deployment_id for d in stored.deployments] == ["7", "8"]
    assert key_server.fetches(tp.jwks_path) == before + 1


def test_platform_add_prints_each_problem_and_exits_1(runner, tp):
    args = _add_args(tp, "--deployment-id", "7")
    args[args.index("--issuer") + 1] = "http://moodle.school.test"
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "The platform was not registered" in result.output
    assert "  - the issuer must start with https://" in result.output
    assert "  - a key set URL is required" in result.output
    assert _platforms() == []


def test_platform_add_refuses_an_unreachable_key_set_unless_no_check(runner, tp, key_server):
    url = key_server.url("/not-yet")
    result = runner.invoke(args=_add_args(tp, "--key-set-url", url, "--deployment-id", "7"))
    assert result.exit_code == 1
    assert "the key set URL could not be fetched: it answered HTTP 404" in result.output
    assert "add --no-check" in result.output
    assert _platforms() == []
    closed = runner.invoke(args=_add_args(tp, "--key-set-url", "http://127.0.0.1:9/jwks",
                                          "--deployment-id", "7"))
    assert "could not be fetched: no connection (check the address" in closed.output

    result = runner.invoke(
        args=_add_args(tp, "--key-set-url", url, "--deployment-id", "7", "--no-check")
    )
    assert result.exit_code == 0, result.output
    assert _platforms()[0].key_set_url == url


def test_platform_add_with_a_key_set_file(runner, tp, tmp_path):
    jwks = {"keys": [tp.public_jwk(tp.key_name, tp.kid)]}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks))
    result = runner.invoke(args=_add_args(tp, "--key-set-file", str(path), "--deployment-id", "7"))
    assert result.exit_code == 0, result.output
    assert _platforms()[0].key_set == jwks

    bad = tmp_path / "bad.json"
    bad.write_text("{")
    result = runner.invoke(args=_add_args(tp, "--key-set-file", str(bad), "--deployment-id", "7"))
    assert result.exit_code == 1
    assert "is not valid JSON" in result.output


def test_platform_add_needs_a_deployment_id(runner, tp):
    result = runner.invoke(args=_add_args(tp, "--key-set-url", tp.key_set_url))
    assert result.exit_code == 2
    assert "--deployment-id" in result.output


def test_platform_add_refuses_a_duplicate(runner, tp):
    args = _add_args(tp, "--key-set-url", tp.key_set_url, "--deployment-id", "7")
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert (f"client_id '{tp.client_id}' is already registered for issuer '{tp.issuer}'"
            in result.output)


def test_platform_list_shows_status_and_deployments(runner, tp, platform):
    assert runner.invoke(args=_add_args(tp, "--key-set-url", tp.key_set_url,
                                        "--deployment-id", "7", "--deployment-id", "8")
                         ).exit_code == 0
    registrations.set_active(registrations.find_registration(tp.issuer, tp.client_id), False)

    lines = runner.invoke(args=["platform", "list"]).output.splitlines()

    assert lines[0].split() == ["NAME", "ISSUER", "CLIENT", "ID", "STATUS", "DEPLOYMENTS"]
    assert set(lines[1]) <= {"-", " "}
    rows = {line.split()[0]: line for line in lines[2:]}
    assert rows["School"].split()[-4:] == [tp.client_id, "disabled", "7,", "8"]
    assert rows["Test"].split()[-3:] == ["client-abc", "active", "deployment-1"]


def test_platform_list_when_empty(runner):
    assert "No platform registered yet" in runner.invoke(args=["platform", "list"]).output


def test_platform_import_of_a_pylti1p3_file_is_idempotent(runner, tp, tmp_path):
    config = {
        tp.issuer: [{
            "default": True, "client_id": tp.client_id, "auth_login_url": tp.auth_login_url,
            "auth_token_url": tp.auth_token_url, "auth_audience": None,
            "key_set_url": tp.key_set_url, "key_set": None,
            "private_key_file": "private.key", "public_key_file": "public.key",
            "deployment_ids": ["7"],
        }],
        "https://canvas.instructure.com": {
            "client_id": "10000000000001",
            "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
            "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
            "deployment_ids": ["1:8865aa05b4b79b64a91a86042e43af5ea8ae79eb"],
        },
    }
    path = tmp_path / "tool.json"
    path.write_text(json.dumps(config))

    # Canvas cannot be reached from the test: without --no-check it is refused, Moodle is not.
    result = runner.invoke(args=["platform", "import", str(path)])
    assert result.exit_code == 1
    assert "created: https://moodle.school.test (client_id Ab12Cd34Ef56Gh7)" in result.output
    assert "refused: https://canvas.instructure.com (client_id 10000000000001)" in result.output
    assert "the key set URL could not be fetched" in result.output
    assert "private_key_file and public_key_file were ignored" in result.output

    result = runner.invoke(args=["platform", "import", str(path), "--no-check"])
    assert result.exit_code == 0, result.output
    assert "skipped: https://moodle.school.test" in result.output
    assert "created: https://canvas.instructure.com" in result.output
    assert len(_platforms()) == 2

    config[tp.issuer][0]["deployment_ids"] = ["7", "9"]
    path.write_text(json.dumps(config))
    result = runner.invoke(args=["platform", "import", str(path), "--no-check"])
    assert result.exit_code == 0, result.output
    assert "added deployment(s) 9" in result.output
    assert len(_platforms()) == 2
    moodle = registrations.find_registration(tp.issuer, tp.client_id)
    assert [d.deployment_id for d in moodle.deployments] == ["7", "9"]


@pytest.mark.parametrize(("content", "message"), [("[1, 2]", "pylti1p3"),
                                                   ("{", "is not valid JSON")])
def test_platform_import_of_a_bad_file(runner, tmp_path, content, message):
    path = tmp_path / "tool.json"
    path.write_text(content)
    result = runner.invoke(args=["platform", "import", str(path)])
    assert result.exit_code == 1
    assert message in result.output
    missing = runner.invoke(args=["platform", "import", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1
    assert "cannot read the configuration file" in missing.output


def test_platform_disable_enable_delete(runner, platform, lti):
    ident = ["--issuer", platform.issuer, "--client-id", platform.client_id]

    result = runner.invoke(args=["platform", "disable", *ident])
    assert result.exit_code == 0
    assert "Disabled Test LMS" in result.output
    assert not _platforms()[0].active
    assert lti.login().status_code == 400

    assert runner.invoke(args=["platform", "enable", *ident]).exit_code == 0
    assert _platforms()[0].active
    assert lti.login().status_code == 302

    refused = runner.invoke(args=["platform", "delete", *ident], input="n\n")
    assert refused.exit_code == 1
    assert len(_platforms()) == 1
    result = runner.invoke(args=["platform", "delete", *ident, "--yes"])
    assert result.exit_code == 0
    assert "Deleted Test LMS" in result.output
    assert _platforms() == []


def test_platform_add_as_the_issue_writes_it_needs_no_name(runner, tp, key_server):
    """The command of the set-up documentation: every option but --name."""
    result = runner.invoke(args=[
        "platform", "add", "--issuer", tp.issuer, "--client-id", tp.client_id,
        "--auth-login-url", tp.auth_login_url, "--auth-token-url", tp.auth_token_url,
        "--key-set-url", tp.key_set_url, "--deployment-id", "7",
    ])
    assert result.exit_code == 0, result.output
    [stored] = _platforms()
    assert stored.name == "moodle.school.test (Ab12Cd34Ef56Gh7)"
    assert "Registered https://moodle.school.test (client_id Ab12Cd34Ef56Gh7)" in result.output


def test_platform_edit_changes_only_what_is_given(runner, tp, key_server, tmp_path):
    assert runner.invoke(args=_add_args(tp, "--key-set-url", tp.key_set_url,
                                        "--deployment-id", "7")).exit_code == 0
    ident = ["--issuer", tp.issuer, "--client-id", tp.client_id]
    result = runner.invoke(args=["platform", "edit", *ident, "--name", "Moodle (new site)",
                                 "--auth-login-url", "https://moodle.school.test/auth2"])
    assert result.exit_code == 0, result.output
    assert "Updated Moodle (new site)" in result.output
    [stored] = _platforms()
    assert stored.auth_login_url == "https://moodle.school.test/auth2"
    assert stored.auth_token_url == tp.auth_token_url
    assert stored.key_set_url == tp.key_set_url

    jwks = {"keys": [tp.public_jwk(tp.key_name, tp.kid)]}
    key_file = tmp_path / "jwks.json"
    key_file.write_text(json.dumps(jwks))
    result = runner.invoke(args=["platform", "edit", *ident, "--key-set-file", str(key_file)])
    assert result.exit_code == 0, result.output
    [stored] = _platforms()
    assert stored.key_set_url is None
    assert stored.key_set == jwks

    refused = runner.invoke(args=["platform", "edit", *ident, "--auth-token-url", "http://x.test/t"])
    assert refused.exit_code == 1
    assert "Nothing was changed" in refused.output
    assert "must start with https://" in refused.output
    assert _platforms()[0].auth_token_url == tp.auth_token_url


def test_platform_add_and_remove_deployment(runner, platform, lti):
    ident = ["--issuer", platform.issuer, "--client-id", platform.client_id]
    assert lti.login(lti_deployment_id="science").status_code == 400  # L4
    result = runner.invoke(args=["platform", "add-deployment", *ident,
                                 "--deployment-id", "science", "--label", "Science"])
    assert result.exit_code == 0, result.output
    assert "Added deployment science to Test LMS" in result.output
    assert lti.login(lti_deployment_id="science").status_code == 302

    again = runner.invoke(args=["platform", "add-deployment", *ident, "--deployment-id", "science"])
    assert again.exit_code == 1
    assert "already part of this registration" in again.output

    result = runner.invoke(args=["platform", "remove-deployment", *ident,
                                 "--deployment-id", "science"])
    assert result.exit_code == 0, result.output
    assert lti.login(lti_deployment_id="science").status_code == 400
    missing = runner.invoke(args=["platform", "remove-deployment", *ident,
                                  "--deployment-id", "science"])
    assert missing.exit_code == 1
    assert "has no deployment 'science'" in missing.output


def test_platform_commands_on_an_unknown_registration(runner):
    for command in ("disable", "enable", "delete", "edit", "add-deployment",
                    "remove-deployment"):
        args = ["platform", command, "--issuer", "https://x.test", "--client-id", "c"]
        if command.endswith("deployment"):
            args += ["--deployment-id", "d"]
        result = runner.invoke(args=[*args, "--yes"] if command == "delete" else args)
        assert result.exit_code == 1
        assert "No registration for issuer 'https://x.test' with client_id 'c'." in result.output


# --------------------------------------------------------------------------- keys


def test_keys_generate_list_retire(runner):
    assert "No key yet" in runner.invoke(args=["keys", "list"]).output
    first = runner.invoke(args=["keys", "generate"])
    second = runner.invoke(args=["keys", "generate"])
    assert first.exit_code == 0
    assert second.exit_code == 0
    db.session.expire_all()
    old, new = db.session.scalars(db.select(ToolKey).order_by(ToolKey.id)).all()
    assert new.kid in second.output

    lines = runner.invoke(args=["keys", "list"]).output.splitlines()
    assert lines[2].startswith(new.kid)
    assert lines[2].endswith("active (signing)")
    assert lines[3].startswith(old.kid)
    assert lines[3].endswith("active")

    result = runner.invoke(args=["keys", "retire", old.kid])
    assert result.exit_code == 0
    assert f"Retired key {old.kid}" in result.output
    assert "retired " in runner.invoke(args=["keys", "list"]).output
    db.session.expire_all()
    assert [k.kid for k in keys.active_keys()] == [new.kid]


def test_keys_retire_refuses_the_last_key_and_unknown_kids(runner):
    only = keys.signing_key()
    result = runner.invoke(args=["keys", "retire", only.kid])
    assert result.exit_code == 1
    assert "This is the only active key" in result.output
    result = runner.invoke(args=["keys", "retire", "no-such-kid"])
    assert result.exit_code == 1
    assert "No key with kid 'no-such-kid'" in result.output
