"""sheet prints: the handwriting of every accepted page, to know the same sheet seen again

Revision ID: 0009
Revises: 0008

``page_print`` keeps, for each accepted page read from now on, the print of
its marks (`omr.likeness`), its ballot page (the bucket a new page is compared
in) and, for a page held as probably the same sheet as another, that page and
how alike the two are. Pages stored before this revision have no print: a new
page is compared only with pages that have one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('page_print',
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.String(length=64), nullable=False),
    sa.Column('ballot_page', sa.Integer(), nullable=False),
    sa.Column('print', sa.LargeBinary(), nullable=False),
    sa.Column('same_as', sa.Integer(), nullable=True),
    sa.Column('likeness', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ),
    sa.ForeignKeyConstraint(['page_id'], ['page.id'], ),
    sa.ForeignKeyConstraint(['same_as'], ['page.id'], ),
    sa.PrimaryKeyConstraint('page_id')
    )
    op.create_index('ix_page_print_bucket', 'page_print', ['campaign_id', 'ballot_page'])


def downgrade() -> None:
    op.drop_index('ix_page_print_bucket', table_name='page_print')
    op.drop_table('page_print')
