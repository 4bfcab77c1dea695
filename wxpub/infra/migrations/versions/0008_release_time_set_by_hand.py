"""releases: who set a release's time by hand

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:40:00

A release moved on its page (or with ``wxpub release reschedule``) keeps that time when the plan is
applied again; existing releases have their plan's time.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_set_by', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.drop_column('time_set_by')
