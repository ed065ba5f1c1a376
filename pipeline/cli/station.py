"""``kiemphieu serve``: the web station."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from pipeline.cli.console import check_workspace_path, err, out, say
from pipeline.cli.help import App
from pipeline.cli.ws import WsArg
from pipeline.web.app import create_app

app = App()


@app.command(help=say("help_cmd_station_serve"))
def serve(
    ws: WsArg,
    host: Annotated[str, typer.Option("--host", help=say("help_station_host"))]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    secure_cookies: Annotated[bool, typer.Option(
        "--secure-cookies", help=say("help_station_secure_cookies"))]
    = False,
) -> None:
    """The web review station (queue, dashboard, ballot browser, upload)."""
    check_workspace_path(ws)
    loopback = host in ("127.0.0.1", "localhost", "::1")
    hosts = ("127.0.0.1", "localhost", "[::1]") if loopback else ("*",)
    web = create_app(ws, allowed_hosts=hosts, secure_cookies=secure_cookies)
    if not loopback:
        err.print(say("cli_serve_open", host=host), markup=False)
    out.print(say("cli_serve", url=f"http://{'127.0.0.1' if loopback else host}:{port}/",
                  ws=str(ws)), markup=False)
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False,
                server_header=False)
