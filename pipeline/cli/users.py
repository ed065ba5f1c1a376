"""``kiemphieu user add|list|disable``: the web station's accounts."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.console import lang, out, say
from pipeline.cli.help import App
from pipeline.cli.ws import open_ws
from pipeline.domain.committee import Person
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.wording import t
from pipeline.workflow.users import add_user, authenticate, list_users, set_disabled

app = App(help=say("help_cmd_users_group"),
                 no_args_is_help=True)


@app.command("add", help=say("help_cmd_users_add"))
def user_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help=say("help_users_name"))],
    role: Annotated[str, typer.Option("--role", metavar="operator|reviewer|chair",
                                      help=say("help_users_role"))],
    ws: Annotated[Path, typer.Option("--ws", metavar="WS", envvar="KIEMPHIEU_WS",
                                          help=say("help_users_ws"))] = Path("."),
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help=say("help_users_password_stdin"))] = False,
) -> None:
    """Create an account (asks the password twice unless --password-stdin)."""
    workspace = open_ws(ws)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(say("cli_password_for", name=name), hide_input=True,
                                confirmation_prompt=say("cli_password_again"), err=True)
    user = add_user(workspace.store, name, role, password)
    out.print(say("cli_user_added", name=user.name, role=t(f"role_{user.role}", lang())),
              markup=False)


@app.command("list", help=say("help_cmd_users_list"))
def user_list(
    ws: Annotated[Path, typer.Option("--ws", metavar="WS", envvar="KIEMPHIEU_WS",
                                          help=say("help_users_ws"))] = Path("."),
) -> None:
    """List the accounts and their roles."""
    for user in list_users(open_ws(ws).store):
        role = user.role if lang() == "en" else f"{user.role} ({t(f'role_{user.role}', lang())})"
        out.print(f"{user.name:<24} {role}{say('cli_user_disabled') if user.disabled else ''}",
                  markup=False)


@app.command("disable", help=say("help_cmd_users_disable"))
def user_disable(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    ws: Annotated[Path, typer.Option("--ws", metavar="WS", envvar="KIEMPHIEU_WS",
                                          help=say("help_users_ws"))] = Path("."),
) -> None:
    """Stop an account from logging in (its decisions stay on the record)."""
    set_disabled(open_ws(ws).store, name, True)
    out.print(say("cli_user_disabled_now", name=name), markup=False)


def login(workspace, name: str):
    """The account ``name`` of ``workspace`` after its password (asked on the terminal, or
    read from ``KIEMPHIEU_PASSWORD`` for scripts), as a `pipeline.workflow.review.Person`.

    Raises
    ------
    KiemphieuError
        The name or the password is wrong.
    """
    password = os.environ.get("KIEMPHIEU_PASSWORD")
    if password is None:
        password = typer.prompt(say("cli_password_for", name=name), hide_input=True, err=True)
    user = authenticate(workspace.store, name, password)
    if user is None:
        raise KiemphieuError(key="cli_login_failed", name=name)
    return Person(user.name, user.role)
