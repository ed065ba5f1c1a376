"""Alembic environment: migrations run on the connection `pipeline.store.migrations` hands over.

Run from the command line (``alembic -c pipeline/store/migrations/alembic.ini ...``),
the database is ``KIEMPHIEU_DB`` (a SQLAlchemy URL).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import text

from pipeline.store.schema import metadata
from pipeline.store.store import connect

target_metadata = metadata


def run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True, compare_server_default=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            from pipeline.store.migrations import MIGRATION_LOCK

            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    url = os.environ.get("KIEMPHIEU_DB")
    if not url:
        raise SystemExit("set KIEMPHIEU_DB to the database URL to migrate")
    engine = connect(url)
    with engine.connect() as conn:
        run(conn)
        conn.commit()
