"""The production gunicorn configuration (config/gunicorn.conf.py), run for real."""

from __future__ import annotations

import time
from pathlib import Path

import requests

from bench.server import gunicorn, new_config


def test_the_access_log_keeps_no_query_string_or_referrer(tmp_path: Path) -> None:
    """Searches and filters name learners; access logs are kept and read more widely."""
    config = new_config(0, None, "redis://127.0.0.1:6379/15", tmp_path)
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log, gunicorn(config, workers=1, threads=2, log=log):
        resp = requests.get(
            config.base_url + "/healthz?q=Pip+Pupil+reading+support",
            headers={"Referer": config.base_url + "/courses/1/search?q=Maria+Lopez"},
            timeout=10,
        )
        assert resp.status_code == 200
        deadline = time.monotonic() + 5
        while "/healthz" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    text = log_path.read_text()
    access = [line for line in text.splitlines() if "/healthz" in line and '" 200 ' in line]
    assert access, text
    assert '"GET /healthz HTTP/1.1" 200' in access[-1]
    assert "Pip" not in text
    assert "Maria" not in text
    assert "q=" not in text
