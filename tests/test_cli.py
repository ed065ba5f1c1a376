"""The command line's shape: one module a command group, loaded only when its command runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.core import TyperGroup

from pipeline.cli import COMMANDS, load_command


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_is_listed_with_its_own_help(name: str) -> None:
    """``kiemphieu --help`` lists a command from `COMMANDS` without importing it: its line
    there must be the first paragraph of the command's own help."""
    command = load_command(name)
    own = (command.help or "").split("\n\n")[0].replace("\n", " ").strip()
    assert own == COMMANDS[name].help_of(name)
    assert isinstance(command, TyperGroup) == COMMANDS[name].group


def test_help_imports_no_heavy_library() -> None:
    """Listing the commands imports none of the libraries the commands need."""
    code = ("import sys\nfrom pipeline.cli import main\nsys.argv = ['kiemphieu', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('cv2', 'sqlalchemy', 'reportlab', 'fastapi', 'numpy', 'PIL')"
            " if m in sys.modules]\nprint('HEAVY', heavy)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in run.stdout, run.stdout[-500:]


def test_an_unknown_command_is_a_usage_error() -> None:
    exe = Path(sys.executable).with_name("kiemphieu")
    run = subprocess.run([str(exe), "nosuch"], capture_output=True, text=True)
    assert run.returncode == 2
    assert "nosuch" in run.stderr
