"""Shared fixtures: a PostgreSQL server for the whole session (`tests/pg_server.py`).

The command line speaks Vietnamese unless told otherwise; the tests that check its
behaviour by its English messages run it in English (``KIEMPHIEU_LANG=en``, inherited by
every ``kiemphieu`` they start). The tests of the Vietnamese it speaks
(``tests/test_cli_words.py``) set the language themselves.

``pg_url`` gives each test its own empty database on that server. When the
server programs are missing the test is skipped with the reason, except
under ``CI=true``, where a missing server fails the run.

The browser tests' fixtures: ``browser`` (Debian's Chromium through Playwright, one a test
module) and ``shots`` (the folder screenshots go to): `tests/web_browser.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pg_server
import pytest
import web_browser

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


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (skipped without either)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = web_browser.launch(p)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """The folder the test's screenshots go to (`web_browser.screenshot_folder`)."""
    return web_browser.screenshot_folder(tmp_path)
