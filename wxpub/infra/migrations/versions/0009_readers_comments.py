"""readers' comments (留言), the changes staff send to WeChat, comment policy per series, rid of alerts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 22:50:00

``comment_articles`` are the published articles whose comments are followed, ``reader_comments`` the
comments as WeChat last listed them (with the office's reply), ``comment_actions`` what staff asked
WeChat to do (delivered through the outbox). ``series.comment_policy`` says who may comment on a
series' articles (existing series: everyone, WeChat's "open by default"). ``alerts.rid`` keeps
WeChat's request id of the failure behind an alert, ``stat_pulls.rid`` that of a failed statistics call.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('comment_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=True),
    sa.Column('series_id', sa.Integer(), nullable=True),
    sa.Column('chapter_id', sa.Integer(), nullable=True),
    sa.Column('msg_data_id', sa.String(length=64), nullable=False),
    sa.Column('article_index', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=1024), nullable=False),
    sa.Column('comments_open', sa.Boolean(), nullable=False),
    sa.Column('only_fans', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pulled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pull_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_comment_articles_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['chapter_id'], ['chapters.id'], name=op.f('fk_comment_articles_chapter_id_chapters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_comment_articles_release_id_releases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_comment_articles_series_id_series'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_articles')),
    sa.UniqueConstraint('account_id', 'msg_data_id', 'article_index', name=op.f('uq_comment_articles_account_id_msg_data_id_article_index'))
    )
    with op.batch_alter_table('comment_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_articles_release_id'), ['release_id'], unique=False)

    op.create_table('reader_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('user_comment_id', sa.String(length=32), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('elected', sa.Boolean(), nullable=False),
    sa.Column('reply_content', sa.Text(), nullable=True),
    sa.Column('reply_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply_by', sa.String(length=80), nullable=True),
    sa.Column('first_reply_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_by', sa.String(length=80), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['comment_articles.id'], name=op.f('fk_reader_comments_article_id_comment_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_comments')),
    sa.UniqueConstraint('article_id', 'user_comment_id', name=op.f('uq_reader_comments_article_id_user_comment_id'))
    )
    with op.batch_alter_table('reader_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reader_comments_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reader_comments_first_reply_at'), ['first_reply_at'], unique=False)

    op.create_table('comment_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.String(length=80), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('rid', sa.String(length=64), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['comment_articles.id'], name=op.f('fk_comment_actions_article_id_comment_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['comment_id'], ['reader_comments.id'], name=op.f('fk_comment_actions_comment_id_reader_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_actions'))
    )
    with op.batch_alter_table('comment_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_actions_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_actions_comment_id'), ['comment_id'], unique=False)

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rid', sa.String(length=64), nullable=True))

    with op.batch_alter_table('stat_pulls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rid', sa.String(length=64), nullable=True))

    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment_policy', sa.String(length=20), nullable=False,
                                      server_default='everyone'))



def downgrade() -> None:
    with op.batch_alter_table('series', schema=None) as batch_op:
        batch_op.drop_column('comment_policy')

    with op.batch_alter_table('stat_pulls', schema=None) as batch_op:
        batch_op.drop_column('rid')

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('rid')

    with op.batch_alter_table('comment_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_actions_comment_id'))
        batch_op.drop_index(batch_op.f('ix_comment_actions_article_id'))

    op.drop_table('comment_actions')
    with op.batch_alter_table('reader_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reader_comments_first_reply_at'))
        batch_op.drop_index(batch_op.f('ix_reader_comments_article_id'))

    op.drop_table('reader_comments')
    with op.batch_alter_table('comment_articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_articles_release_id'))

    op.drop_table('comment_articles')
