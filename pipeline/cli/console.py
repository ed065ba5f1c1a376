"""What every command shares: the two consoles, the language people read, the workspace
argument and how a wrong workspace path is answered.

Every sentence a command prints comes from the message catalogs (`say`, keys ``cli_*``):
Vietnamese by default, English with ``kiemphieu --lang en`` or an English locale in the
environment (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, the first one set). Numbers with
decimals are written with a decimal comma in Vietnamese, times in Vietnam time and
marked as such (`when`). Machine codes (statuses, reasons' codes) appear only in JSON
and JSONL.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from pipeline.domain.errors import KiemphieuError, WorkspaceError
from pipeline.domain.wording import t

err = Console(stderr=True, highlight=False, soft_wrap=True)
# a terminal's width, or COLUMNS if set; else (a pipe, a file) 160
out = Console(highlight=False, soft_wrap=True,
              width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")  # Asia/Ho_Chi_Minh: no daylight saving
LANGS = ("vi", "en")
ROLES = ("operator", "reviewer", "chair")


class _Lang:
    """The language of this run: set once, before any command's module is imported
    (`decide_lang`), and again by the root command's ``--lang``."""

    value: str | None = None


def lang_from_env(environ: Mapping[str, str] = os.environ) -> str:
    """The language the environment asks for: ``KIEMPHIEU_LANG`` if it is ``vi`` or ``en``;
    else ``en`` if the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set names
    English; else ``vi``."""
    if environ.get("KIEMPHIEU_LANG") in LANGS:
        return environ["KIEMPHIEU_LANG"]
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "en" if value.lower().startswith("en") else "vi"
    return "vi"


def decide_lang(argv: Sequence[str], environ: Mapping[str, str] = os.environ) -> str:
    """The language of a run of ``kiemphieu argv``, decided before anything is built: the root
    option ``--lang vi|en`` (given before the command), else the environment
    (`lang_from_env`). Every help string is read in it when its command's module is imported.
    A ``--lang`` of another value is left for the root command to refuse."""
    chosen = None
    args = iter(argv)
    for arg in args:
        if arg == "--lang":
            chosen = next(args, None)
        elif arg.startswith("--lang="):
            chosen = arg.partition("=")[2]
        elif not arg.startswith("-"):
            break  # the command's name: what follows is the command's own
    _Lang.value = chosen if chosen in LANGS else lang_from_env(environ)
    return _Lang.value


class WordedBadParameter(typer.BadParameter):
    """A value refused by a command's own check, its message already in the run's language."""


def checked_lang(value: str | None) -> str | None:
    """The root option ``--lang`` (or ``KIEMPHIEU_LANG``) as given: ``vi``, ``en`` or None; a
    usage error for another value."""
    if value is not None and value not in LANGS:
        raise WordedBadParameter(say("cli_lang_bad", value=value))
    return value


def set_lang(value: str | None) -> None:
    """The root command's ``--lang`` (checked by `checked_lang`); None leaves the language as
    decided."""
    if value is not None:
        _Lang.value = value


def lang() -> str:
    return _Lang.value or lang_from_env()


def say(key: str, /, **params: Any) -> str:
    """The catalog's sentence ``key`` in this run's language, its parameters filled in (none
    may be called ``key`` or ``lang``: `pipeline.domain.wording.t` takes those)."""
    return t(key, lang(), **params)


def when(at: dt.datetime | None) -> str:
    """A stored time (UTC, naive or not) in Vietnam time, marked as such."""
    if at is None:
        return "-"
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return say("cli_time", at=at.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S"))


def error_words(exc: KiemphieuError) -> str:
    """A refusal in this run's language: its catalog entry if it has one, else its message."""
    key = getattr(exc, "key", None)
    if not key:
        return str(exc)
    params = dict(getattr(exc, "params", {}))
    if params.get("role") in ROLES:  # an account's role, in words
        params["role"] = t(f"role_{params['role']}", lang())
    if lang() != "en":  # a time in Vietnam time, whatever the entry's format asks
        params = {k: _VietnamTime(v) if isinstance(v, dt.datetime) else v
                  for k, v in params.items()}
    if isinstance(params.get("allowed"), str) and lang() != "en":  # values to type, with words
        params["allowed"] = ", ".join(f"{v} ({t(v, lang())})"
                                      for v in params["allowed"].split(", "))
    return t(key, lang(), **params)


class _VietnamTime:
    """A stored time in an error's sentence: `when`, whatever format the entry gives it."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __format__(self, spec: str) -> str:
        return when(self.at)

    __str__ = __repr__ = lambda self: when(self.at)


def check_workspace_path(ws: Path) -> None:
    """Refuse a path that is not a workspace, saying what it is and what was likely meant:
    a campaign file, a folder holding a workspace, a missing folder."""
    if (ws / "workspace.json").is_file():
        return
    if ws.is_file() and ws.suffix.lower() in (".yaml", ".yml"):
        raise WorkspaceError(key="cli_ws_is_yaml", path=str(ws))
    if not ws.exists():
        raise WorkspaceError(key="cli_ws_missing", path=str(ws))
    inside = sorted(p.parent for p in ws.glob("*/workspace.json")) if ws.is_dir() else []
    if inside:
        raise WorkspaceError(key="cli_ws_inside", path=str(ws),
                             found=", ".join(str(p) for p in inside[:3]))
    raise WorkspaceError(key="cli_ws_not", path=str(ws))
