"""field conditions: session versions, shared sign-in counters, one open safety flag

Revision ID: a7c3e9f21b04
Revises: 3015cdd65477
Create Date: 2026-12-08 01:00:00.000000

- users.session_version: part of every session and remember-me cookie; sign-out,
  a new password and deactivation raise it, so copied cookies stop working.
- sign_in_throttles: failed sign-ins per account and address, in the database so
  every server process shares them (no Redis needed).
- uq_safety_flags_open: at most one open flag per trainee and competency. Open
  duplicates left by earlier races are closed first (the oldest stays open), with
  a note saying why, so nothing is deleted.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9f21b04'
down_revision = '3015cdd65477'
branch_labels = None
depends_on = None

DUPLICATE_NOTE = 'Closed as a duplicate of an older open flag for the same competency (database upgrade).'


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))

    op.create_table('sign_in_throttles',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_throttles'))
    )

    op.execute(
        sa.text(
            "UPDATE safety_flags SET closed_at = raised_at, close_note = :note "
            "WHERE closed_at IS NULL AND EXISTS (SELECT 1 FROM safety_flags older "
            "WHERE older.trainee_id = safety_flags.trainee_id AND older.competency = safety_flags.competency "
            "AND older.closed_at IS NULL AND older.id < safety_flags.id)"
        ).bindparams(note=DUPLICATE_NOTE)
    )
    with op.batch_alter_table('safety_flags', schema=None) as batch_op:
        batch_op.create_index(
            'uq_safety_flags_open',
            ['trainee_id', 'competency'],
            unique=True,
            sqlite_where=sa.text('closed_at IS NULL'),
            postgresql_where=sa.text('closed_at IS NULL'),
        )


def downgrade():
    with op.batch_alter_table('safety_flags', schema=None) as batch_op:
        batch_op.drop_index('uq_safety_flags_open')

    op.drop_table('sign_in_throttles')

    # Plain DROP COLUMN (SQLite 3.35+): a batch copy would drop and recreate "users",
    # which the foreign keys of every other table refuse (or would cascade).
    op.execute('ALTER TABLE users DROP COLUMN session_version')
