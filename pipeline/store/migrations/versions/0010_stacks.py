"""stacks: every scan run or upload is a stack (``stack``), the chair's records on stacks
(``stack_log``: hand counts, withdrawals, restorations), and the stack of every page and
scan event (``page.stack_id``, ``scan_event.stack_id``; None for those stored before)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stack',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('station', sa.Text(), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=True),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('stack_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('stack_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('hand_count', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('pages', sa.JSON(), nullable=True),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['stack_id'], ['stack.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    # a plain number, no foreign key: SQLite can then drop the column again in place
    for table in ('page', 'scan_event'):
        op.add_column(table, sa.Column('stack_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in ('scan_event', 'page'):
        op.drop_column(table, 'stack_id')
    op.drop_table('stack_log')
    op.drop_table('stack')
