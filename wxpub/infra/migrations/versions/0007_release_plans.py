"""stored release plans (one current plan per series)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:00:00

``release_plans`` keeps each series' current plan as the YAML text staff gave (comments included),
its sha256, the account and who stored it; written in the same transaction as the plan's apply.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('release_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_name', sa.String(length=200), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('yaml_text', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_release_plans_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_plans')),
    sa.UniqueConstraint('series_name', name=op.f('uq_release_plans_series_name'))
    )
    with op.batch_alter_table('release_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_plans_account_id'), ['account_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('release_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_plans_account_id'))
    op.drop_table('release_plans')
