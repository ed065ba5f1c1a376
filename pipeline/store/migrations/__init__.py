"""Versioned schema migrations of the records (Alembic), and the checks made on opening.

How a database gets its schema:

- ``kiemphieu new`` creates the tables of `pipeline.store.store.metadata` in one
  step (``create_all``) and stamps the database with the newest revision
  (`create`). The test ``tests/test_migrations.py`` proves that running the
  migrations from empty yields exactly that metadata, so both ways give the
  same schema, and a table added to ``store.py`` without a migration fails CI.
- Opening a workspace (`ensure_current`) reads the database's revision:
  at the newest, nothing happens; at an older known revision, the migrations
  up to the newest run, in one transaction (on PostgreSQL under an advisory
  lock, so that stations opening at once do not race); a revision this
  version does not know (records of a newer kiemphieu) is refused with what
  to do. Records made before versioned migrations (no revision) are adopted
  if their tables are exactly today's, and refused otherwise.

A new migration: change ``store.py``, then
``alembic -c pipeline/store/migrations/alembic.ini revision --autogenerate -m "what"``
with ``KIEMPHIEU_DB`` naming a database at the previous revision; review it,
and keep ``tests/test_migrations.py`` passing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from pipeline.domain.errors import WorkspaceError

if TYPE_CHECKING:
    from alembic.config import Config

# The newest revision in versions/ (a test checks it), so that opening a
# workspace at the newest revision costs one query and no Alembic import.
HEAD = "0012"

HERE = Path(__file__).resolve().parent
# A constant key for pg_advisory_xact_lock: only one process migrates a database at a time.
MIGRATION_LOCK = 0x6B6970_0001


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for our scripts; ``connection`` is the database to act on."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision in versions/ (Alembic's own reading; `HEAD` must equal it)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(config()).get_heads()
    assert len(heads) == 1, f"migrations have {len(heads)} heads; merge them"
    return heads[0]


def current(conn: Connection) -> str | None:
    """The database's revision, or None if it was never stamped."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def differences(conn: Connection) -> list[object]:
    """How the database's schema differs from `pipeline.store.store.metadata` (empty: none)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from pipeline.store.schema import metadata

    ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                 "compare_server_default": True})
    return list(compare_metadata(ctx, metadata))


def create(engine: Engine) -> None:
    """Create every table of `pipeline.store.store.metadata` and stamp the newest revision."""
    from alembic import command

    from pipeline.store.store import create_schema

    create_schema(engine)
    with engine.begin() as conn:
        command.stamp(config(conn), "head")


def upgrade(engine: Engine, target: str = "head") -> None:
    """Run the migrations from the database's revision up to ``target``."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(config(conn), target)


def ensure_current(engine: Engine, where: str) -> None:
    """Bring the records of an opened workspace to the newest revision, or refuse.

    Raises `WorkspaceError` for records of a newer kiemphieu, and for kiemphieu
    records without a revision (made before versioned schemas) whose tables
    are not exactly today's; such records with today's tables are adopted.
    """
    with engine.connect() as conn:
        try:  # the usual case, without loading Alembic
            if conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]:
                return
        except SQLAlchemyError:
            conn.rollback()
        from alembic import command
        from alembic.script import ScriptDirectory

        newest = head()
        rev = current(conn)
        if rev == newest:
            return
        if rev is None:
            if inspect(conn).has_table("campaign") and not differences(conn):
                # made before versioned migrations, with exactly today's tables: adopt it
                command.stamp(config(conn), "head")
                conn.commit()
                return
            if inspect(conn).has_table("campaign"):
                raise WorkspaceError(key="migrations_no_revision", where=where)
            raise WorkspaceError(key="migrations_no_records", where=where)
    known = {s.revision for s in ScriptDirectory.from_config(config()).walk_revisions()}
    if rev not in known:
        raise WorkspaceError(key="migrations_newer", where=where, rev=rev, newest=newest)
    upgrade(engine)
