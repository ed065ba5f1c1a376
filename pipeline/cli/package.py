"""``kiemphieu export``, ``verify``, ``retally`` and ``aggregate``: the certified package and its audit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.console import WsArg, err, out
from pipeline.documents.aggregate import aggregate_packages
from pipeline.documents.export import export_package
from pipeline.documents.verify import verify_package
from pipeline.domain.errors import KiemphieuError
from pipeline.store.workspace import WORKSPACE_FILE, open_workspace
from pipeline.workflow.retally import from_package, from_workspace
from pipeline.workflow.retally import retally as do_retally

app = typer.Typer()


@app.command()
def export(
    ws: WsArg,
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help="New folder for the package.")],
) -> None:
    """Write the certified package: minutes (PDF, DOCX), CSV, XLSX, JSON, scans, signed manifest."""
    result = export_package(open_workspace(ws), out_dir)
    out.print(f"Wrote {result.out}: {result.files} files ({result.scans} scans), signed with key "
              f"{result.key_sha256}.")
    out.print(f"Check it with: kiemphieu verify {result.out}")


@app.command()
def verify(
    package: Annotated[Path, typer.Argument(metavar="DIR", help="A package made by export.")],
    key: Annotated[str | None, typer.Option(
        "--key", metavar="SHA256", help="Fingerprint of the key you trust (on the minutes).")] = None,
) -> None:
    """Check a certified package: every file's SHA-256, nothing missing or added, the signature."""
    result = verify_package(package, trusted_key=key)
    if result.ok:
        out.print(f"{package}: OK: {result.files_checked} files match the signed manifest; key "
                  f"{result.key_sha256}.")
        return
    for problem in result.problems:
        err.print(f"{package}/{problem}")
    err.print(f"{package}: NOT VALID: {len(result.problems)} problem(s); do not use this package.")
    raise typer.Exit(1)


@app.command()
def retally(
    source: Annotated[Path, typer.Argument(metavar="WS|DIR",
                                           help="A certified workspace, or a package made by export.")],
) -> None:
    """Re-read every stored image and compare the count with the certified one."""
    if (source / WORKSPACE_FILE).exists():
        audit = from_workspace(open_workspace(source))
    elif (source / "manifest.json").exists():
        audit = from_package(source)
    else:
        raise KiemphieuError(f"{source}: neither a workspace nor an exported package")
    result = do_retally(audit)
    if result.matches:
        out.print(f"Retally of {source}: {result.pages} page image(s) re-read in "
                  f"{result.seconds:.1f} s; the count is identical to the certified one.")
        return
    for line in result.differences:
        err.print(f"difference: {line}")
    err.print(f"Retally of {source}: {len(result.differences)} difference(s) from the certified count.")
    raise typer.Exit(1)


@app.command()
def aggregate(
    packages: Annotated[list[Path], typer.Argument(metavar="PKG...", help="Certified packages.")],
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help="New folder for the summary.")],
    body: Annotated[str, typer.Option(
        "--body", help="The office that rolls up (printed top-left).")] = "Cơ quan tổng hợp",
    place: Annotated[str | None, typer.Option("--place", help="Place printed with the date.")] = None,
) -> None:
    """Combine the certified packages of many units into one summary (PDF, XLSX, JSON)."""
    result = aggregate_packages(packages, out_dir, body=body, place=place)
    out.print(f"Wrote {out_dir}: {result.units} unit(s), {result.people} person(s), "
              f"{result.polled_twice} polled in more than one place.")
