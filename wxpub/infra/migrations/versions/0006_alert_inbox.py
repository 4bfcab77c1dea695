"""alert inbox: who acknowledged and who resolved an alert

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:00:00

An alert can be acknowledged (it stays open: a recurrence of its cause only counts) and resolved
by a person; existing alerts have neither.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('resolved_by', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('resolved_by')
        batch_op.drop_column('acknowledged_by')
        batch_op.drop_column('acknowledged_at')
