"""baseline: the schema of kiemphieu 0.1

Revision ID: 0001
Revises: nothing (the first revision)
Create Date: 2026-11-22 03:46:26.385684
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    _campaign_tables()
    _page_tables()
    _reading_tables()


def _campaign_tables() -> None:
    """The accounts, the campaign and what the committee records about it."""
    op.create_table('app_user',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('disabled', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('campaign',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('rules', sa.String(length=32), nullable=False),
    sa.Column('electorate', sa.Integer(), nullable=False),
    sa.Column('session_date', sa.Date(), nullable=False),
    sa.Column('layout', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('definite', sa.Float(), nullable=False),
    sa.Column('marginal', sa.Float(), nullable=False),
    sa.Column('source_yaml', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('certified_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('kiemphieu_meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('candidate',
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('stt', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('position', sa.Text(), nullable=False),
    sa.Column('ballot_page', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('campaign_id', 'stt')
    )
    op.create_table('certification',
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.Text(), nullable=False),
    sa.Column('software', sa.String(length=64), nullable=False),
    sa.Column('thresholds', sa.JSON(), nullable=False),
    sa.Column('tally', sa.JSON(), nullable=False),
    sa.Column('reconciliation', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('campaign_id')
    )
    op.create_table('declared',
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=True),
    sa.Column('collected', sa.Integer(), nullable=True),
    sa.Column('members', sa.JSON(), nullable=True),
    sa.Column('head', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('campaign_id')
    )


def _page_tables() -> None:
    """The stored pages and their review items."""
    op.create_table('page',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('image_sha256', sa.String(length=64), nullable=False),
    sa.Column('image_path', sa.Text(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('page_index', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('code_text', sa.Text(), nullable=True),
    sa.Column('ballot_page', sa.Integer(), nullable=True),
    sa.Column('width_px', sa.Integer(), nullable=True),
    sa.Column('height_px', sa.Integer(), nullable=True),
    sa.Column('quarter_turns', sa.Integer(), nullable=True),
    sa.Column('px_per_mm', sa.Float(), nullable=True),
    sa.Column('residual_mm', sa.Float(), nullable=True),
    sa.Column('homography', sa.JSON(), nullable=True),
    sa.Column('definite', sa.Float(), nullable=True),
    sa.Column('marginal', sa.Float(), nullable=True),
    sa.Column('thresholds', sa.JSON(), nullable=True),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id', 'image_sha256', name='uq_page_image')
    )
    op.create_table('review_item',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('candidate', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('page_id', 'candidate', name='uq_review_item')
    )


def _reading_tables() -> None:
    """Each row's reading, every sighting of a scan, the reviewers' decisions."""
    op.create_table('row_reading',
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('candidate', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('fill_high', sa.Float(), nullable=False),
    sa.Column('fill_medium', sa.Float(), nullable=False),
    sa.Column('fill_low', sa.Float(), nullable=False),
    sa.Column('measures', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], ),
    sa.PrimaryKeyConstraint('page_id', 'candidate')
    )
    op.create_table('scan_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('page_index', sa.Integer(), nullable=False),
    sa.Column('image_sha256', sa.String(length=64), nullable=True),
    sa.Column('page_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('decision',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('reviewer', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('machine', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('replaces', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['review_item.id'], ),
    sa.ForeignKeyConstraint(['replaces'], ['decision.id'], ),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('decision')
    op.drop_table('scan_event')
    op.drop_table('row_reading')
    op.drop_table('review_item')
    op.drop_table('page')
    op.drop_table('declared')
    op.drop_table('certification')
    op.drop_table('candidate')
    op.drop_table('kiemphieu_meta')
    op.drop_table('campaign')
    op.drop_table('app_user')
