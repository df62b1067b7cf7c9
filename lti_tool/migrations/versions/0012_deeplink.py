"""deep links to anything: the target of each placed link, and course copies

Revision ID: 0012_deeplink
Revises: 0011_notes
Create Date: 2026-12-06 16:00:00.000000

* ``placed_link``: the platform's ``resource_link_id`` -> the Staffroom target it
  opens (``plan:12``), stored at the link's first launch.
* ``course_copy``: a course copied from another in the LMS that continues its spaces.

New tables only: nothing existing is rebuilt, so no trigger is lost on SQLite.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_deeplink'
down_revision = '0011_notes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'placed_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('resource_link_id', sa.String(length=255), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=True),
        sa.Column('target', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'],
                                name=op.f('fk_placed_link_course_id_course'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['platform_id'], ['platform.id'],
                                name=op.f('fk_placed_link_platform_id_platform'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_placed_link')),
        sa.UniqueConstraint('platform_id', 'resource_link_id',
                            name=op.f('uq_placed_link_platform_id_resource_link_id')),
    )
    op.create_index(op.f('ix_placed_link_course_id'), 'placed_link', ['course_id'])
    op.create_table(
        'course_copy',
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('source_course_id', sa.Integer(), nullable=False),
        sa.Column('linked_by_id', sa.Integer(), nullable=True),
        sa.Column('how', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'],
                                name=op.f('fk_course_copy_course_id_course'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['linked_by_id'], ['person.id'],
                                name=op.f('fk_course_copy_linked_by_id_person'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['source_course_id'], ['course.id'],
                                name=op.f('fk_course_copy_source_course_id_course'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('course_id', name=op.f('pk_course_copy')),
    )
    op.create_index(op.f('ix_course_copy_source_course_id'), 'course_copy', ['source_course_id'])


def downgrade():
    op.drop_index(op.f('ix_course_copy_source_course_id'), table_name='course_copy')
    op.drop_table('course_copy')
    op.drop_index(op.f('ix_placed_link_course_id'), table_name='placed_link')
    op.drop_table('placed_link')
