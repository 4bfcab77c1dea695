"""评选: rating rounds, their cases, the panel of experts, sheets with their entries, commendations

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 05:35:00

A ``rating_rounds`` row is one 评选 of a series (criteria with weights and scales, deadline, whether
experts see each other's scores); ``rating_cases`` the cases in it as published (the article that
went out); ``rating_experts`` its panel (a 评审专家 user, or an outside expert with a one-time
invitation link kept as a SHA-256 hash); ``rating_sheets`` each expert's sheet (draft, submitted
once and frozen, or superseded by an audited correction) with ``rating_entries`` per case (scores,
comment, conflict of interest); ``commendations`` the cases commended, with their level.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rating_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('show_others', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.Column('signoff', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['series.id'], name=op.f('fk_rating_rounds_series_id_series'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_rounds'))
    )
    with op.batch_alter_table('rating_rounds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_rounds_series_id'), ['series_id'], unique=False)

    op.create_table('rating_experts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('invite_hash', sa.String(length=64), nullable=True),
    sa.Column('invite_prefix', sa.String(length=12), nullable=True),
    sa.Column('invite_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rating_rounds.id'], name=op.f('fk_rating_experts_round_id_rating_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rating_experts_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_experts')),
    sa.UniqueConstraint('invite_hash', name=op.f('uq_rating_experts_invite_hash'))
    )
    with op.batch_alter_table('rating_experts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_experts_round_id'), ['round_id'], unique=False)

    op.create_table('commendations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_commendations_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rating_rounds.id'], name=op.f('fk_commendations_round_id_rating_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commendations')),
    sa.UniqueConstraint('round_id', 'case_id', name=op.f('uq_commendations_round_id_case_id'))
    )
    with op.batch_alter_table('commendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commendations_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commendations_round_id'), ['round_id'], unique=False)

    op.create_table('rating_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['expert_id'], ['rating_experts.id'], name=op.f('fk_rating_sheets_expert_id_rating_experts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rating_rounds.id'], name=op.f('fk_rating_sheets_round_id_rating_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supersedes_id'], ['rating_sheets.id'], name=op.f('fk_rating_sheets_supersedes_id_rating_sheets'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_sheets')),
    sa.UniqueConstraint('expert_id', 'number', name=op.f('uq_rating_sheets_expert_id_number'))
    )
    with op.batch_alter_table('rating_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_sheets_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_sheets_round_id'), ['round_id'], unique=False)

    op.create_table('rating_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('release_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_rating_cases_article_id_articles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_rating_cases_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['release_id'], ['releases.id'], name=op.f('fk_rating_cases_release_id_releases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['rating_rounds.id'], name=op.f('fk_rating_cases_round_id_rating_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_cases')),
    sa.UniqueConstraint('round_id', 'case_id', name=op.f('uq_rating_cases_round_id_case_id'))
    )
    with op.batch_alter_table('rating_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_cases_round_id'), ['round_id'], unique=False)

    op.create_table('rating_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('rating_case_id', sa.Integer(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('conflict', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['rating_case_id'], ['rating_cases.id'], name=op.f('fk_rating_entries_rating_case_id_rating_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sheet_id'], ['rating_sheets.id'], name=op.f('fk_rating_entries_sheet_id_rating_sheets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_entries')),
    sa.UniqueConstraint('sheet_id', 'rating_case_id', name=op.f('uq_rating_entries_sheet_id_rating_case_id'))
    )
    with op.batch_alter_table('rating_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_entries_sheet_id'), ['sheet_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rating_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_entries_sheet_id'))

    op.drop_table('rating_entries')
    with op.batch_alter_table('rating_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_cases_round_id'))

    op.drop_table('rating_cases')
    with op.batch_alter_table('rating_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_sheets_round_id'))
        batch_op.drop_index(batch_op.f('ix_rating_sheets_expert_id'))

    op.drop_table('rating_sheets')
    with op.batch_alter_table('commendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commendations_round_id'))
        batch_op.drop_index(batch_op.f('ix_commendations_case_id'))

    op.drop_table('commendations')
    with op.batch_alter_table('rating_experts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_experts_round_id'))

    op.drop_table('rating_experts')
    with op.batch_alter_table('rating_rounds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_rounds_series_id'))

    op.drop_table('rating_rounds')
