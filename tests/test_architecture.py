"""The house's layers (docs/architecture.md) hold, and a back-import would break the suite.

The contracts are import-linter's, in ``pyproject.toml``: a lower layer never
imports a higher one, blocks and features in one layer never import each other,
and nothing imports the assembly (admin page, practice LMS, ``routes``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the ``lti_tool`` package found in ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_the_layers_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "back_import"), [
    # lti/ knows no course table and no feature.
    ("lti/frames.py", "from lti_tool.courses import models as _back  # noqa"),
    # courses/ knows no shared block and no feature.
    ("courses/registry.py", "from lti_tool.planning import models as _back  # noqa"),
    # a shared block knows no feature.
    ("tasks/services.py", "from lti_tool.planning import models as _back  # noqa"),
    # siblings in a layer are independent.
    ("tasks/services.py", "from lti_tool.discussion import models as _back  # noqa"),
])
def test_a_back_import_breaks_the_suite(tmp_path, module, back_import):
    """Proof that the contracts are enforced: the same check on a copy with one back-import."""
    shutil.copytree(ROOT / "lti_tool", tmp_path / "lti_tool",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "lti_tool" / module
    target.write_text(target.read_text() + "\n" + back_import + "\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout


def test_the_architecture_document_names_the_contracts_layers():
    """docs/architecture.md draws the layers the contract checks, in the same order."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["id"] == "layers")
    doc = (ROOT / "docs" / "architecture.md").read_text()
    drawn = re.search(r"<!-- layers -->\n```\n(.*?)```", doc, re.S)
    assert drawn, "docs/architecture.md lost its layers drawing"
    lines = [line.split("#")[0].strip() for line in drawn.group(1).splitlines()]
    names = [" | ".join(f"lti_tool.{n.strip().rstrip('/')}" for n in line.split("|"))
             for line in lines if line]
    assert names == contract["layers"]
    for layer in contract["layers"]:
        for package in layer.split(" | "):
            path = ROOT / package.replace(".", "/") / "__init__.py"
            assert path.exists(), f"{package} is a layer but not a package"
            assert '"""' in path.read_text()[:5], f"{package} has no docstring saying what it owns"
