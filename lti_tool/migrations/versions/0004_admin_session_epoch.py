"""admin sessions can be ended: admin_user.session_epoch

Revision ID: 8c1f2a7d3e40
Revises: 5e4c0a9d2f13
Create Date: 2026-11-23 05:00:00.000000

An administrator's session cookie carries a seal made from the account's
password hash and this counter: logging out (or a new password) changes it,
so a copy of an older cookie no longer opens the admin page.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c1f2a7d3e40'
down_revision = '5e4c0a9d2f13'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade():
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')
