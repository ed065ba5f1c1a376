"""ballot forms and two-level rows: ``declared.forms``, ``declaration_log.forms``, and
``row_reading.fill_low`` may be empty

Revision ID: 0008
Revises: 0005

A campaign of several ballot forms declares ballots issued and collected per
form: ``forms`` (JSON, ``{form id: {"issued": n, "collected": n}}``) beside
the campaign-wide figures. The follow-up confidence vote's ballot has two
boxes a row, so its rows have no third fill: ``fill_low`` is then NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("declared", sa.Column("forms", sa.JSON(), nullable=True))
    op.add_column("declaration_log", sa.Column("forms", sa.JSON(), nullable=True))
    with op.batch_alter_table("row_reading") as batch:
        batch.alter_column("fill_low", existing_type=sa.Float(), nullable=True)


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE row_reading SET fill_low = 0 WHERE fill_low IS NULL"))
    with op.batch_alter_table("row_reading") as batch:
        batch.alter_column("fill_low", existing_type=sa.Float(), nullable=False)
    op.drop_column("declaration_log", "forms")
    op.drop_column("declared", "forms")
