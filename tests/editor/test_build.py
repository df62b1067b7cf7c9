"""The committed editor bundle is built from the committed sources.

``lti_tool/static/editor/`` is committed so that ``make run`` and ``make test`` need
no Node.js; ``frontend/build.mjs`` records in ``BUILD.json`` the hash of the files it
was built from. A change to ``frontend/src/``, ``package.json``,
``package-lock.json`` or the build script without a rebuild fails here: run
``cd frontend && npm ci && npm run build`` and commit the result.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
BUILT = ROOT / "lti_tool" / "static" / "editor"
REBUILD = "the editor bundle is older than its sources: cd frontend && npm ci && npm run build"


def source_files() -> list[str]:
    """The files build.mjs hashes, in its order: the build script, the package files, src/."""
    files = ["build.mjs", "package.json", "package-lock.json"]
    files += [p.relative_to(FRONTEND).as_posix() for p in (FRONTEND / "src").rglob("*")
              if p.is_file()]
    return sorted(files)


def sources_hash(files: list[str]) -> str:
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update((FRONTEND / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def test_the_committed_bundle_was_built_from_the_committed_sources():
    build = json.loads((BUILT / "BUILD.json").read_text())
    files = source_files()
    assert build["files"] == files, REBUILD
    assert build["sources"] == sources_hash(files), REBUILD


def test_the_bundle_is_served_by_the_tool_and_loaded_where_a_markdown_box_is(client):
    for name in ("loader.js", "editor.js", "editor.css"):
        response = client.get(f"/static/editor/{name}")
        assert response.status_code == 200, name
        assert len(response.get_data()) > 100, name
        response.close()
    base = (ROOT / "templates" / "base.html").read_text()
    assert "filename='editor/loader.js'" in base
    loader = (BUILT / "loader.js").read_text()
    assert 'textarea[data-editor="markdown"]' in loader


def test_the_bundle_loads_nothing_from_outside_the_tool():
    bundle = (BUILT / "editor.js").read_text() + (BUILT / "editor.css").read_text()
    for outside in ("//fonts.", "googleapis", "cdn.", "unpkg.com", "jsdelivr", "@import"):
        assert outside not in bundle, outside
