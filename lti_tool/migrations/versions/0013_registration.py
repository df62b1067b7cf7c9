"""dynamic registration: how a platform registered the tool, and one-time registration links

Revision ID: 0013_registration
Revises: 0012_deeplink
Create Date: 2026-12-06 16:00:00.000000

* ``dynamic_registration``: one row per platform registered by LTI Dynamic Registration
  (its OpenID configuration, its answer, who started it, who activated it and when).
  The platform stays inactive until it is activated.
* ``registration_invitation``: signed one-time links an administrator makes on the
  admin page; ``used_at`` is set by one atomic UPDATE.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_registration'
down_revision = '0012_deeplink'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dynamic_registration',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('openid_configuration_url', sa.String(length=1024), nullable=False),
    sa.Column('platform_configuration', sa.JSON(), nullable=False),
    sa.Column('registration_response', sa.JSON(), nullable=False),
    sa.Column('started_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('activated_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['platform.id'], name=op.f('fk_dynamic_registration_platform_id_platform'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dynamic_registration')),
    sa.UniqueConstraint('platform_id', name=op.f('uq_dynamic_registration_platform_id'))
    )
    op.create_table('registration_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('platform_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['platform_id'], ['platform.id'], name=op.f('fk_registration_invitation_platform_id_platform'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_invitation')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_registration_invitation_secret_hash'))
    )
    with op.batch_alter_table('registration_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_invitation_platform_id'), ['platform_id'], unique=False)


def downgrade():
    with op.batch_alter_table('registration_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_invitation_platform_id'))
    op.drop_table('registration_invitation')
    op.drop_table('dynamic_registration')
