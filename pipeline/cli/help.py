"""The help the command line prints (``--help``), in this run's language.

Typer builds a command's help from strings given when its module is imported, and its
own fixed words ("Usage:", "Options", "[default: 1]", "Show this message and exit.")
are English. So:

- the language is decided before any command's module is imported
  (`pipeline.cli.console.decide_lang`, called first by `pipeline.cli.main`), and every
  help string is a catalog entry (keys ``help_*``) read through `say` at import;
- every command is a `WordedCommand` and every group a `WordedGroup` (`App` makes them
  so): they word the usage line, the help option, the types of values, and Typer's fixed
  words (`word_typer`) when help is shown, and only then, so a command that runs imports
  nothing more for it.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from pipeline.cli.console import lang, say
from pipeline.domain.wording import has_entry

#: Typer's fixed words (module constants of `typer.rich_utils`) and their catalog entries
TYPER_WORDS = {
    "DEPRECATED_STRING": "cli_help_deprecated",
    "DEFAULT_STRING": "cli_help_default",
    "ENVVAR_STRING": "cli_help_envvar",
    "REQUIRED_LONG_STRING": "cli_help_required",
    "ARGUMENTS_PANEL_TITLE": "cli_help_arguments",
    "OPTIONS_PANEL_TITLE": "cli_help_options",
    "COMMANDS_PANEL_TITLE": "cli_help_commands",
    "ERRORS_PANEL_TITLE": "cli_help_error",
    "ABORTED_TEXT": "cli_help_aborted",
    "RICH_HELP": "cli_help_try",
}
#: the type Typer shows for a value (without its angle brackets), by its kind
TYPES = {"int": "cli_help_type_number", "int range": "cli_help_type_number",
         "float": "cli_help_type_number", "float range": "cli_help_type_number",
         "path": "cli_help_type_path", "file": "cli_help_type_path",
         "directory": "cli_help_type_path", "text": "cli_help_type_text",
         "str": "cli_help_type_text"}


def word_typer() -> None:
    """Put Typer's fixed words in this run's language (it reads them when it prints)."""
    from typer import rich_utils  # only when help or a usage error is printed

    for name, key in TYPER_WORDS.items():
        setattr(rich_utils, name, say(key))


def _type_word(shown: str | None) -> str | None:
    """Typer's type of a value (``<int range>``, ``<list[Path]>``) as a word, if it has one."""
    kind = (shown or "").strip("<>").lower()
    if kind.startswith("list[") and kind.endswith("]"):
        kind = kind[5:-1]
    key = TYPES.get(kind)
    return say(key) if key else shown


def _metavar_words(metavar: str) -> str:
    """A placeholder (``FILE.pdf``, ``PKG_OR_WS``) in words: each capitalised word that has an
    entry ``cli_metavar_<word>`` in it (``WS`` stays: it is how every text names it)."""
    return re.sub(r"[A-Z]+", lambda m: say(f"cli_metavar_{m.group().lower()}")
                  if has_entry(f"cli_metavar_{m.group().lower()}", lang()) else m.group(),
                  metavar)


def _word_types(params: list[Any], ctx: typer.Context) -> None:
    """Name each value in words: a placeholder's words, none for a flag, and for a value
    without a placeholder its type (a number, a path, a text)."""
    for param in params:
        if isinstance(param, TyperArgument):
            if param.metavar:
                param.metavar = _metavar_words(param.metavar)
            shown = _type_word(param.display_type(ctx))
            param.display_type_rich = lambda ctx, shown=shown: shown  # type: ignore[method-assign]
        elif isinstance(param, TyperOption):
            if param.metavar is not None:
                param.metavar = _metavar_words(param.metavar)
            elif param.is_flag:
                param.metavar = ""
            else:
                param.metavar = _type_word(param.display_type(ctx))


class _Worded:
    """What `WordedCommand` and `WordedGroup` share (a mixin before Typer's class)."""

    def get_help_option(self, ctx: typer.Context) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = say("cli_help_option")
        return option

    def format_usage(self, ctx: typer.Context, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces),
                              prefix=say("cli_help_usage") + " ")

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:
        word_typer()
        _word_types(self.get_params(ctx), ctx)  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)  # type: ignore[misc]


class WordedCommand(_Worded, TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = say("cli_help_options_metavar")


class WordedGroup(_Worded, TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = say("cli_help_options_metavar")
        self.subcommand_metavar = say("cli_help_command_metavar")


class App(typer.Typer):
    """A Typer app whose commands and groups print their help in this run's language."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", WordedGroup)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", WordedCommand)
        return super().command(*args, **kwargs)
