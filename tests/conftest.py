"""Shared fixtures: a PostgreSQL server for the whole session (`tests/pg_server.py`).

The command line speaks Vietnamese unless told otherwise; the tests that check its
behaviour by its English messages run it in English (``KIEMPHIEU_LANG=en``, inherited by
every ``kiemphieu`` they start). The tests of the Vietnamese it speaks
(``tests/test_cli_words.py``) set the language themselves.

``pg_url`` gives each test its own empty database on that server. When the
server programs are missing the test is skipped with the reason, except
under ``CI=true``, where a missing server fails the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pg_server
import pytest

os.environ.setdefault("KIEMPHIEU_LANG", "en")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg_server.Server]:
    try:
        server = pg_server.start_server()
    except pg_server.NoServer as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI=true but PostgreSQL is not available: {exc}")
        pytest.skip(f"{exc}; PostgreSQL tests skipped")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_cluster: pg_server.Server) -> Iterator[str]:
    """SQLAlchemy URL of a new, empty PostgreSQL database for this test."""
    url = pg_cluster.new_database()
    try:
        yield url
    finally:
        pg_cluster.drop_database(url)
