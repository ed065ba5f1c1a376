"""What the browser tests share: Debian's Chromium driven by Playwright, the screen sizes,
and where screenshots go. The fixtures ``browser`` and ``shots`` are in ``conftest.py``.

Chromium is Debian's (``apt-get install chromium``; ``bash dev.sh test`` installs it);
Playwright never downloads a browser here. Screenshots go to ``KIEMPHIEU_SCREENSHOTS`` (a
folder) when set, else to the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LAPTOP = {"width": 1366, "height": 768}
SHORT = {"width": 1366, "height": 650}  # the laptop without the browser's bars and taskbar
PROJECTOR = {"width": 1280, "height": 720}

#: every browser test module: skipped, saying why, where Chromium is not installed
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (bash dev.sh test installs it)")


def launch(playwright):
    """Debian's Chromium, headless."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def screenshot_folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("KIEMPHIEU_SCREENSHOTS") or tmp_path / "screens")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
