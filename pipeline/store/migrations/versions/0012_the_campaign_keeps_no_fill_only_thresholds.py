"""the campaign keeps no fill-only thresholds: ``campaign.definite`` and
``campaign.marginal`` are dropped

Revision ID: 0012
Revises: 0010

The fill-only rule (a mark at fill >= ``definite``, faint from ``marginal``)
decided rows read before ink and extent were measured. No rule decides such
rows again: they keep the decision they were stored with. The campaign's
copy of its two thresholds was read by nothing; the campaign file
(``source_yaml``) keeps what it said. Each page keeps the ``definite`` and
``marginal`` it was read with: they are part of what a certificate covers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None

# What the campaign's columns held unless its file set other values.
_DEFINITE, _MARGINAL = 0.09, 0.04


def upgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.drop_column("definite")
        batch.drop_column("marginal")


def downgrade() -> None:
    with op.batch_alter_table("campaign") as batch:
        batch.add_column(sa.Column("definite", sa.Float(), nullable=True))
        batch.add_column(sa.Column("marginal", sa.Float(), nullable=True))
    op.get_bind().execute(sa.text("UPDATE campaign SET definite = :d, marginal = :m"),
                          {"d": _DEFINITE, "m": _MARGINAL})
    with op.batch_alter_table("campaign") as batch:
        batch.alter_column("definite", existing_type=sa.Float(), nullable=False)
        batch.alter_column("marginal", existing_type=sa.Float(), nullable=False)
