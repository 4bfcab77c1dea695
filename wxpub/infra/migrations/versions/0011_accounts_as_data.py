"""Official accounts as data: credentials encrypted at rest, disabling, and users limited to accounts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00

``accounts`` gains ``code`` (the short ASCII name in callback URLs, plans and commands; existing rows
take their AppID), the encrypted AppSecret / Token / EncodingAESKey, where the credentials come from
(``db``, or ``env`` for the account read from ``WXPUB_*``: every row existing before this revision was
such an account), when the secret was last rotated, and when and by whom it was disabled.
``stat_pulls``, ``stat_articles`` and ``alerts`` gain the account they belong to (existing rows: the first
account, the only one there was). A chapter's plan key, and a stored plan, become unique per account (the same series may be
released to several accounts). ``user_accounts`` limits a staff member to some accounts (no rows: every account).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('credentials_source', sa.String(length=10), nullable=False,
                                      server_default='env'))
        batch_op.add_column(sa.Column('secret_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('token_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('aes_key_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('secret_rotated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('disabled_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE accounts SET code = appid, updated_at = created_at")
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.alter_column('code', existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('credentials_source', existing_type=sa.String(length=10),
                              server_default=None)
        batch_op.create_unique_constraint(batch_op.f('uq_accounts_code'), ['code'])
    # Statistics kept apart per account; what was pulled before came from the one account there was.
    for table in ('stat_pulls', 'stat_articles', 'alerts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_account_id'), ['account_id'], unique=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_account_id_accounts'), 'accounts',
                                        ['account_id'], ['id'], ondelete='CASCADE')
        if table != 'alerts':  # an old alert may concern no account at all: left without one
            op.execute(f"UPDATE {table} SET account_id = (SELECT MIN(id) FROM accounts)")
    # One series may be planned for several accounts: keys and stored plans are unique per account.
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.drop_constraint('uq_releases_plan_key', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_releases_account_id_plan_key'),
                                          ['account_id', 'plan_key'])
    with op.batch_alter_table('release_plans', schema=None) as batch_op:
        batch_op.drop_constraint('uq_release_plans_series_name', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_release_plans_series_name_account_id'),
                                          ['series_name', 'account_id'])
    op.create_table('user_accounts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_user_accounts_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'account_id', name=op.f('pk_user_accounts'))
    )


def downgrade() -> None:
    op.drop_table('user_accounts')
    with op.batch_alter_table('release_plans', schema=None) as batch_op:
        batch_op.drop_constraint('uq_release_plans_series_name_account_id', type_='unique')
        batch_op.create_unique_constraint('uq_release_plans_series_name', ['series_name'])
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.drop_constraint('uq_releases_account_id_plan_key', type_='unique')
        batch_op.create_unique_constraint('uq_releases_plan_key', ['plan_key'])
    for table in ('alerts', 'stat_articles', 'stat_pulls'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_account_id_accounts'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_account_id'))
            batch_op.drop_column('account_id')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_accounts_code'), type_='unique')
        for column in ('updated_at', 'disabled_by', 'disabled_at', 'secret_rotated_at',
                       'aes_key_encrypted', 'token_encrypted', 'secret_encrypted',
                       'credentials_source', 'code'):
            batch_op.drop_column(column)
