"""The tool's front door, for people who open it outside an LMS."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    return render_template("index.html", demo=current_app.config.get("DEMO_MODE"))


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}
