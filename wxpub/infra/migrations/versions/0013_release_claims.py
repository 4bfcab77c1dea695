"""Release claims at scale: an index for the due-work queries, the preparation backoff as a column,
and the shared ledger of calls per WeChat endpoint and account (per-minute rates, used-up quotas)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 10:00:00

Schedulers claim due work in batches (``wxpub.publishing.claims``): releases by state and planned
time, so ``(state, scheduled_at)`` is indexed. ``prepare_after`` is when a preparation that failed
transiently may be tried again; it used to be read from the newest attempt row of every candidate,
one query per release, which a thousand releases due together cannot afford. ``api_call_windows``
counts calls per account, endpoint and minute for endpoints with a per-minute rate, and marks a day
whose quota WeChat said was used up (``wxpub.wechat.limits``), for every scheduler process at once.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_call_windows',
    sa.Column('appid', sa.String(length=32), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_seconds', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('appid', 'path', 'window_start', name=op.f('pk_api_call_windows'))
    )
    with op.batch_alter_table('releases') as batch:
        batch.add_column(sa.Column('prepare_after', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_releases_state_scheduled_at', ['state', 'scheduled_at'])


def downgrade() -> None:
    op.drop_table('api_call_windows')
    with op.batch_alter_table('releases') as batch:
        batch.drop_index('ix_releases_state_scheduled_at')
        batch.drop_column('prepare_after')
