"""``make test`` runs the suite on several processes without two of them sharing a server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_together

ROOT = Path(__file__).resolve().parents[1]
ALONE = None  # a unit of its own, spread over the processes


LIST_VARIANTS = """
import json, sys, pytest

class Variants:
    found = {}

    def pytest_collection_finish(self, session):
        for item in session.items:
            callspec = getattr(item, "callspec", None)
            self.found[item.nodeid] = callspec.params.get("backend") if callspec else None

variants = Variants()
pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider"], plugins=[variants])
print("VARIANTS" + json.dumps(variants.found))
"""


def test_every_postgresql_variant_runs_in_one_process_and_no_other_test_does():
    """On every test of the suite, each with the ``backend`` its collection gave it."""
    out = subprocess.run([sys.executable, "-c", LIST_VARIANTS], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    found = json.loads(out.split("VARIANTS", 1)[1])
    postgres = [nodeid for nodeid, backend in found.items() if backend == "postgres"]
    others = [nodeid for nodeid, backend in found.items() if backend != "postgres"]
    assert len(postgres) > 1000
    assert any("[postgres-" in nodeid for nodeid in postgres)  # beside another parameter
    assert [n for n in postgres if run_together(n) != "postgres"] == []
    assert [n for n in others if run_together(n) == "postgres"] == []


@pytest.mark.parametrize(("nodeid", "unit"), [
    ("tests/notes/test_access.py::test_the_rule_as_a_matrix[postgres-author]", "postgres"),
    ("tests/notes/test_access.py::test_the_rule_as_a_matrix[author-postgres]", "postgres"),
    ("tests/test_app.py::test_jit_off_on_postgresql[sqlite]", ALONE),
    ("tests/notes/test_x.py::test_y[sqlite-postgres teacher]", ALONE),
    ("tests/browser/test_pages.py::test_main_page[planning-unit]", "browser"),
    ("tests/test_cache.py::test_sweep", ALONE),
], ids=["variant first", "variant last", "the other database", "a word after", "browser",
        "no database"])  # ids of their own: these tests are no database's variant
def test_what_runs_together(nodeid, unit):
    assert run_together(nodeid) == (nodeid if unit is ALONE else unit)
