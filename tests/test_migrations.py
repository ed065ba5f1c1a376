"""Versioned schema migrations (Alembic, `pipeline.store.migrations`).

The migrations, run from an empty database, must give exactly the tables of
`pipeline.store.store.metadata` (what ``kiemphieu new`` creates): a table or column
added to ``store.py`` without a migration fails here. Opening a workspace
brings older records up to date and refuses records it does not know.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from station_cases import SAMPLE, kiemphieu, new_workspace

from pipeline.domain.errors import WorkspaceError
from pipeline.store import migrations
from pipeline.store.schema import metadata
from pipeline.store.store import connect
from pipeline.store.workspace import open_workspace


def _url(db: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if db == "postgresql":
        return request.getfixturevalue("pg_url")
    return f"sqlite:///{tmp_path / 'records.db'}"


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_migrations_from_empty_give_exactly_the_metadata_of_store_py(
    tmp_path: Path, db: str, request: pytest.FixtureRequest
) -> None:
    engine = connect(_url(db, tmp_path, request))
    migrations.upgrade(engine)
    with engine.connect() as conn:
        diffs = migrations.differences(conn)
        assert diffs == [], (
            "pipeline/store.py and the migrations differ; add a migration in "
            f"pipeline/migrations/versions (see pipeline/migrations/__init__.py): {diffs}")
        assert migrations.current(conn) == migrations.head()
        tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
    assert tables == set(metadata.tables)
    # and back down to nothing
    with engine.begin() as conn:
        command.downgrade(migrations.config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_new_workspace_is_stamped_and_opens(tmp_path: Path, db: str,
                                            request: pytest.FixtureRequest) -> None:
    url = _url(db, tmp_path, request) if db == "postgresql" else None
    ws = new_workspace(tmp_path / "ws", url)
    workspace = open_workspace(ws)
    with workspace.store.engine.connect() as conn:
        assert migrations.current(conn) == migrations.head()
        assert migrations.differences(conn) == []
        if db == "sqlite":  # crash safety rests on the write-ahead log
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    workspace.store.engine.dispose()


def test_older_records_are_upgraded_and_newer_ones_refused(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    engine = connect(f"sqlite:///{ws / 'kiemphieu.db'}")
    # records of a kiemphieu that knows a later revision
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_future'"))
    proc = kiemphieu("tally", str(ws), check=False)
    assert proc.returncode == 1
    assert "newer kiemphieu" in proc.stderr and "ffff_future" in proc.stderr
    # records made before versioned migrations, with today's tables: adopted on opening
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    kiemphieu("tally", str(ws))
    with engine.connect() as conn:
        assert migrations.current(conn) == migrations.head()
    # ... and with other tables: refused, saying what to do
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("ALTER TABLE scan_event ADD COLUMN station TEXT"))
    with pytest.raises(WorkspaceError, match="no schema revision"):
        open_workspace(ws)
    engine.dispose()


def test_workspace_json_keeps_the_database_url(tmp_path: Path, pg_url: str) -> None:
    ws = new_workspace(tmp_path / "ws", pg_url)
    assert json.loads((ws / "workspace.json").read_text())["db"] == pg_url
    assert (ws / "images").is_dir() and not (ws / "kiemphieu.db").exists()
    proc = kiemphieu("new", str(SAMPLE), "--dir", str(tmp_path / "again"), "--db", pg_url,
                     check=False)
    assert proc.returncode == 1 and "already holds kiemphieu records" in proc.stderr


def test_head_constant_is_the_newest_migration() -> None:
    assert migrations.HEAD == migrations.head()


def test_the_declaration_in_force_opens_the_declaration_log_of_older_records(tmp_path: Path) -> None:
    """Records at revision 0003 (no declaration log, no certification history) are brought up
    to date on opening, and the declaration already made is the log's first line."""
    ws = new_workspace(tmp_path / "ws")
    kiemphieu("declare", str(ws), "--issued", "7", "--collected", "6", "--head", "Trần Văn Ba")
    engine = connect(f"sqlite:///{ws / 'kiemphieu.db'}")
    with engine.begin() as conn:
        command.downgrade(migrations.config(conn), "0003")
    assert not inspect(engine).has_table("declaration_log")
    workspace = open_workspace(ws)
    from pipeline.store.certificates import certified_body

    body = certified_body(workspace, {"at": "x", "by": "x", "software": "x", "thresholds": {},
                                      "tally": {}, "reconciliation": {}},
                          {"number": 1, "previous": None, "key_sha256": "0" * 64})
    assert [(d["issued"], d["collected"], d["head"]) for d in body["declarations"]] == [
        (7, 6, "Trần Văn Ba")]
    engine.dispose()
