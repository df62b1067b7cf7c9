"""The tool's front door, for people who open it outside an LMS, and its health checks.

* ``/healthz`` (liveness): the process answers. A load balancer restarts a worker
  that stops answering; it must not restart workers because the database is down.
* ``/readyz`` (readiness): the database answers a query, and Redis a ping when it
  is configured. A load balancer sends no traffic to an instance that is not ready.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template

from lti_tool.cache import get_cache
from lti_tool.extensions import db

bp = Blueprint("main", __name__)
log = logging.getLogger("lti_tool")


@bp.get("/")
def index():
    return render_template("index.html", demo=current_app.config.get("DEMO_MODE"))


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    checks: dict[str, str] = {}
    try:
        db.session.execute(sa.text("SELECT 1")).scalar_one()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready", whatever its kind
        db.session.rollback()
        log.error("readiness: database failed (%s)", exc.__class__.__name__)
        checks["database"] = "unavailable"
    if current_app.config.get("REDIS_URL"):
        try:
            get_cache().ping()
            checks["redis"] = "ok"
        except Exception as exc:  # as above
            log.error("readiness: redis failed (%s)", exc.__class__.__name__)
            checks["redis"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
