"""The help the command line prints (``--help``) and its usage errors, in this run's language.

Typer builds a command's help from strings given when its module is imported, and its
own fixed words ("Usage:", "Options", "[default: 1]", "Show this message and exit.")
are English. So:

- the language is decided before any command's module is imported
  (`pipeline.cli.console.decide_lang`, called first by `pipeline.cli.main`), and every
  help string is a catalog entry (keys ``help_*``) read through `say` at import;
- every command is a `WordedCommand` and every group a `WordedGroup` (`App` makes them
  so): they word the usage line, the help option, the types of values, and Typer's fixed
  words (`word_typer`) when help is shown, and only then, so a command that runs imports
  nothing more for it;
- a usage error (a missing argument, an unknown option or command, a value that does not
  fit) is worded from the catalog (`worded_usage_error`, keys ``cli_usage_*``) as it is
  raised, in Vietnamese; in English it stays as Typer words it.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from pipeline.cli.console import WordedBadParameter, lang, say
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


# Typer's own reasons a value does not fit (pydantic's words), and their catalog entries
VALUE_PROBLEMS = (
    (re.compile(r"less than or equal to (\S+?)\.?$"), "cli_usage_at_most"),
    (re.compile(r"greater than or equal to (\S+?)\.?$"), "cli_usage_at_least"),
    (re.compile(r"valid integer"), "cli_usage_whole_number"),
    (re.compile(r"valid number"), "cli_usage_number"),
    (re.compile(r"does not exist"), "cli_usage_no_path"),
)


def _named(param: Any) -> str:
    """How a parameter is named in an error: an option by its name, an argument by its
    placeholder in words."""
    if param is None:
        return "?"
    if isinstance(param, TyperArgument):
        return _metavar_words(param.metavar or (param.name or "").upper())
    return " / ".join(param.opts)


def worded_usage_error(exc: UsageError) -> UsageError:
    """``exc`` with its message in this run's language (Vietnamese: from the catalog; English:
    as Typer words it), Typer's fixed words set for the error's panel."""
    word_typer()
    if lang() == "en" or isinstance(exc, NoArgsIsHelpError):
        return exc
    if isinstance(exc, MissingParameter):
        message = say("cli_usage_missing", what=_named(exc.param))
    elif isinstance(exc, NoSuchOption):
        message = say("cli_usage_no_option", option=exc.option_name)
        if exc.possibilities:
            message += " " + say("cli_usage_did_you_mean", options=", ".join(exc.possibilities))
    elif isinstance(exc, BadOptionUsage):
        key = "cli_usage_no_value" if "does not take" in exc.message else "cli_usage_needs_value"
        message = say(key, option=exc.option_name)
    elif isinstance(exc, BadParameter):
        if isinstance(exc, WordedBadParameter):  # the command's own words, from the catalog
            why = exc.message.rstrip(".")
        else:
            why = next((say(key, n=m.group(1) if m.groups() else "") for rx, key in VALUE_PROBLEMS
                        if (m := rx.search(exc.message))), say("cli_usage_bad_value_why"))
        message = say("cli_usage_bad_value", what=_named(exc.param), why=why)
    elif (extra := re.match(r"Got unexpected extra arguments? ?\(s\)? \((.*)\)", exc.message)):
        message = say("cli_usage_extra", args=extra.group(1))
    elif (command := re.match(r"No such command '(.*?)'", exc.message)):
        message = say("cli_usage_no_command", name=command.group(1))
        if (near := re.search(r"Did you mean (.*)\?", exc.message)):
            message += " " + say("cli_usage_did_you_mean", options=near.group(1))
    else:
        return exc
    worded = UsageError(message, exc.ctx)
    worded.exit_code = exc.exit_code
    return worded


class _Worded:
    """What `WordedCommand` and `WordedGroup` share (a mixin before Typer's class)."""

    def get_help_option(self, ctx: typer.Context) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = say("cli_help_option")
        return option

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)  # type: ignore[misc, no-any-return]
        except UsageError as exc:
            raise worded_usage_error(exc) from None

    def format_usage(self, ctx: typer.Context, formatter: Any) -> None:
        _word_types(self.get_params(ctx), ctx)  # the placeholders in words
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

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            raise worded_usage_error(exc) from None


class App(typer.Typer):
    """A Typer app whose commands and groups print their help in this run's language."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("cls", WordedGroup)
        super().__init__(**kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", WordedCommand)
        return super().command(*args, **kwargs)
