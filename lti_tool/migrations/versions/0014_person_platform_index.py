"""the person table loses its single-column platform index: the unique (platform_id, sub) serves

Revision ID: 0014_person_platform_index
Revises: 0013_registration
Create Date: 2026-12-06 23:55:00.000000

``ix_person_platform_id`` repeats the first column of ``uq_person_platform_id_sub``, which
serves every lookup by platform (and the cascade when a platform is deleted). Beside it,
PostgreSQL's planner, before it has statistics on a new table, read a course's roster page
by page through the single-column index: a first sync of 10,000 members took 6.1 to 6.5 s
of wall time, and 2.1 to 2.2 s without it (bench/README.md, "Roster").
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014_person_platform_index'
down_revision = '0013_registration'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_platform_id'))


def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_platform_id'), ['platform_id'], unique=False)
