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
down_revision = '0011'
branch_labels = None
depends_on = None

# What the campaign's columns held unless its file set other values: given back on the way
# down (as a default, so that SQLite adds the columns in place: the campaign table is
# referenced by others, and copying it would break their foreign keys).
_DEFINITE, _MARGINAL = "0.09", "0.04"


def upgrade() -> None:
    # plain numbers, no constraint: SQLite drops them in place
    op.drop_column("campaign", "definite")
    op.drop_column("campaign", "marginal")


def downgrade() -> None:
    op.add_column("campaign", sa.Column("definite", sa.Float(), nullable=False,
                                        server_default=_DEFINITE))
    op.add_column("campaign", sa.Column("marginal", sa.Float(), nullable=False,
                                        server_default=_MARGINAL))
