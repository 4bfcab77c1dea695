"""review chain, comments, sheets, phone previews, audit chain

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:20:00

The approvals table becomes per-version sign-offs (``signoffs``: one row per stage or 校对 round);
existing approvals are copied as 终审 sign-offs (no 审核表 is made for them: under the configured
chain a release approved before this revision needs its chain completed again). Existing audit rows
are numbered and chained in id order (``wxpub.infra.audit_chain``: its digest is a contract).
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('phone_previews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_version_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('requested_by', sa.String(length=80), nullable=False),
    sa.Column('to_username', sa.String(length=80), nullable=False),
    sa.Column('to_wxname', sa.String(length=100), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('media_id', sa.String(length=128), nullable=True),
    sa.Column('msg_id', sa.String(length=64), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['message_version_id'], ['message_versions.id'], name=op.f('fk_phone_previews_message_version_id_message_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_previews'))
    )
    with op.batch_alter_table('phone_previews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_previews_message_version_id'), ['message_version_id'], unique=False)

    op.create_table('review_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('message_version_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('article', sa.Integer(), nullable=True),
    sa.Column('case', sa.Integer(), nullable=True),
    sa.Column('paragraph', sa.Integer(), nullable=True),
    sa.Column('anchor', sa.String(length=100), nullable=False),
    sa.Column('quote', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_review_comments_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_version_id'], ['message_versions.id'], name=op.f('fk_review_comments_message_version_id_message_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['review_comments.id'], name=op.f('fk_review_comments_parent_id_review_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['username'], ['users.username'], name=op.f('fk_review_comments_username_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_comments'))
    )
    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_comments_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_comments_message_version_id'), ['message_version_id'], unique=False)

    op.create_table('signoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('message_version_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_signoffs_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_version_id'], ['message_versions.id'], name=op.f('fk_signoffs_message_version_id_message_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['username'], ['users.username'], name=op.f('fk_signoffs_username_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signoffs'))
    )
    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signoffs_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signoffs_message_version_id'), ['message_version_id'], unique=False)

    op.create_table('review_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_version_id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_version_id'], ['message_versions.id'], name=op.f('fk_review_sheets_message_version_id_message_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_review_sheets_release_id_releases'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_sheets')),
    sa.UniqueConstraint('message_version_id', name=op.f('uq_review_sheets_message_version_id'))
    )
    _copy_approvals()
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approvals_release_id'))

    op.drop_table('approvals')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('before_sha256', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('after_sha256', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('address', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('row_hash', sa.String(length=64), nullable=False, server_default=''))
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor'), ['actor'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_log_seq'), ['seq'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wechat_id', sa.String(length=100), nullable=False, server_default=''))

    _seal_audit_rows()


def _copy_approvals() -> None:
    from wxpub.models.base import UTCDateTime

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT a.message_version_id, a.sha256, a.stage, a.approved_by, a.approver_username, a.approved_at, "
        "a.voided_at, a.void_reason, v.message_id, u.role FROM approvals a "
        "JOIN message_versions v ON v.id = a.message_version_id "
        "JOIN users u ON u.username = a.approver_username ORDER BY a.id")
        .columns(sa.column('approved_at', UTCDateTime()), sa.column('voided_at', UTCDateTime()))).all()
    signoffs = sa.table('signoffs', *(sa.column(n) for n in (
        'message_id', 'message_version_id', 'sha256', 'stage', 'round', 'decision', 'username',
        'display_name', 'role', 'comment')), sa.column('details', sa.JSON), sa.column('at', UTCDateTime()),
        sa.column('voided_at', UTCDateTime()), sa.column('void_reason'))
    seen = set()
    for r in rows:
        key = (r.message_version_id, r.stage)
        if key in seen:
            continue
        seen.add(key)
        bind.execute(signoffs.insert().values(
            message_id=r.message_id, message_version_id=r.message_version_id, sha256=r.sha256,
            stage=r.stage, round=0, decision='approve', username=r.approver_username,
            display_name=r.approved_by, role=r.role, comment='', details={},
            at=r.approved_at, voided_at=r.voided_at, void_reason=r.void_reason))


def _seal_audit_rows() -> None:
    from types import SimpleNamespace

    from wxpub.infra.audit_chain import row_digest
    from wxpub.models.base import UTCDateTime

    bind = op.get_bind()
    audit = sa.table('audit_log', sa.column('id', sa.Integer), sa.column('seq', sa.Integer),
                     sa.column('at', UTCDateTime()), sa.column('actor', sa.String),
                     sa.column('action', sa.String), sa.column('object_type', sa.String),
                     sa.column('object_id', sa.String), sa.column('detail', sa.JSON),
                     sa.column('before_sha256', sa.String), sa.column('after_sha256', sa.String),
                     sa.column('address', sa.String), sa.column('prev_hash', sa.String),
                     sa.column('row_hash', sa.String))
    prev, seq = '', 0
    for r in bind.execute(sa.select(audit).order_by(audit.c.id)).all():
        seq += 1
        row = SimpleNamespace(**{**r._mapping, 'seq': seq, 'prev_hash': prev})
        digest = row_digest(row)
        bind.execute(audit.update().where(audit.c.id == r.id).values(seq=seq, prev_hash=prev, row_hash=digest))
        prev = digest
    bind.execute(sa.table('audit_head', sa.column('id'), sa.column('seq'), sa.column('row_hash'))
                 .insert().values(id=1, seq=seq, row_hash=prev))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('wechat_id')

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_log_seq'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_audit_log_actor'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))
        batch_op.drop_column('row_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('address')
        batch_op.drop_column('after_sha256')
        batch_op.drop_column('before_sha256')
        batch_op.drop_column('seq')

    op.create_table('approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('message_version_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('approved_by', sa.String(length=100), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=300), nullable=True),
    sa.Column('approver_username', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['approver_username'], ['users.username'], name=op.f('fk_approvals_approver_username_users')),
    sa.ForeignKeyConstraint(['message_version_id'], ['message_versions.id'], name=op.f('fk_approvals_message_version_id_message_versions')),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_approvals_release_id_releases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approvals'))
    )
    with op.batch_alter_table('approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approvals_release_id'), ['release_id'], unique=False)

    op.execute("DELETE FROM signoffs")  # sign-offs do not go back into approvals
    op.drop_table('review_sheets')
    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signoffs_message_version_id'))
        batch_op.drop_index(batch_op.f('ix_signoffs_message_id'))

    op.drop_table('signoffs')
    with op.batch_alter_table('review_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_comments_message_version_id'))
        batch_op.drop_index(batch_op.f('ix_review_comments_message_id'))

    op.drop_table('review_comments')
    with op.batch_alter_table('phone_previews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_previews_message_version_id'))

    op.drop_table('phone_previews')
    op.drop_table('audit_head')
