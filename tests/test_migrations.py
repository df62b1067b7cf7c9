"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lti_tool.extensions import db
from lti_tool.search.models import include_in_comparison


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        # SQLite's FTS5 shadow tables cannot be ORM models; everything else must match.
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_in_comparison}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_deleting_a_platform_cascades_on_every_database(lti):
    """SQLite enforces foreign keys too, so no orphan rows are left behind."""
    from lti_tool.courses.models import Course, Membership, Person
    from lti_tool.lti.models import Deployment, Platform

    lti.launch()
    db.session.delete(db.session.scalars(db.select(Platform)).one())
    db.session.commit()
    for model in (Deployment, Person, Course, Membership):
        assert db.session.scalar(db.select(db.func.count()).select_from(model)) == 0
