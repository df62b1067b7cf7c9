"""``make test`` runs the suite on several processes without two of them sharing a server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_together

ROOT = Path(__file__).resolve().parents[1]
ALONE = None  # a unit of its own, spread over the processes


def test_every_postgresql_variant_runs_in_one_process_and_no_sqlite_one_does():
    """On the real test ids, with ``backend`` alone and beside other parameters."""
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/notes/test_access.py", "tests/test_app.py"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    ).stdout.splitlines()
    ids = [line for line in listed if "::" in line and line.endswith("]")]

    def parameters(nodeid: str) -> list[str]:
        return nodeid.rsplit("[", 1)[1].rstrip("]").split("-")

    postgres = [i for i in ids if "postgres" in parameters(i)]
    sqlite = [i for i in ids if "sqlite" in parameters(i)]
    assert len(postgres) == len(sqlite) > 10
    assert any("[postgres-" in i for i in postgres)  # beside another parameter
    assert {run_together(i) for i in postgres} == {"postgres"}
    assert [i for i in sqlite if run_together(i) != i] == []


@pytest.mark.parametrize(("nodeid", "unit"), [
    ("tests/notes/test_access.py::test_the_rule_as_a_matrix[postgres-author]", "postgres"),
    ("tests/notes/test_access.py::test_the_rule_as_a_matrix[author-postgres]", "postgres"),
    ("tests/test_app.py::test_jit_off_on_postgresql[sqlite]", ALONE),
    ("tests/notes/test_x.py::test_y[sqlite-postgres teacher]", ALONE),
    ("tests/browser/test_pages.py::test_main_page[planning-unit]", "browser"),
    ("tests/test_cache.py::test_sweep", ALONE),
])
def test_what_runs_together(nodeid, unit):
    assert run_together(nodeid) == (nodeid if unit is ALONE else unit)
