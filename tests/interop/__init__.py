"""Interoperability: an LTI 1.3 platform that is not ours launches Staffroom.

Our own test platform (``tests/support/platform.py``) and the practice LMS
share our reading of the specification, so they cannot catch a
misunderstanding of it. These tests drive ``lti1p3platform`` (PyPI, MIT,
OpenLearning), an independent implementation of the platform side, through
the same steps its web layer takes: login initiation, the OIDC authorisation
request, the signed id_token form post.

The library is a test-only dependency. Without it the tests skip with a
message saying how to install it, except in CI (``CI=true``), where a missing
library fails the run instead of silently dropping the proof.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

LIBRARY = "lti1p3platform"
REQUIREMENT = "lti1p3platform>=0.1.8,<0.2"


def require_platform_library() -> None:
    """Skip the calling test module if the library is missing (fail in CI)."""
    if importlib.util.find_spec(LIBRARY) is not None:
        return
    message = (
        f"the independent LTI 1.3 platform library '{LIBRARY}' is not installed, so the "
        f"interoperability tests cannot run: .venv/bin/pip install '{REQUIREMENT}' "
        "(it belongs in the dev extra)"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)
