"""``kiemphieu export``, ``verify``, ``retally`` and ``aggregate``: the certified package and its audit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.cli.console import WordedBadParameter, err, lang, out, say
from pipeline.cli.help import App
from pipeline.cli.ws import WsArg, open_ws
from pipeline.documents.aggregate import UnitKey, aggregate_packages, read_unit_keys
from pipeline.documents.export import CERTIFICATE_FILE, export_package
from pipeline.documents.verify import verify_package
from pipeline.domain.certificate import CertificateError, grouped, parse_hex64
from pipeline.domain.errors import KiemphieuError
from pipeline.domain.wording import t
from pipeline.store.workspace import WORKSPACE_FILE
from pipeline.workflow.retally import from_package, from_workspace
from pipeline.workflow.retally import retally as do_retally

app = App()


def _hex64(what: str):
    """A Typer callback: the option as printed in the minutes, read into 64 hex digits (a
    usage error, exit 2, for an empty or malformed value)."""
    def parse(value: Any) -> Any:
        if value is None:
            return None
        try:
            if isinstance(value, list):
                return [parse_hex64(v, what) for v in value]
            return parse_hex64(value, what)
        except CertificateError as exc:
            raise WordedBadParameter(t(exc.key, lang(), **exc.params)) from None
    return parse


KeyOpt = Annotated[str | None, typer.Option(
    "--key", metavar="FINGERPRINT", callback=_hex64("--key"),
    help=say("help_package_key"))]
DigestOpt = Annotated[str | None, typer.Option(
    "--digest", metavar="DIGEST", callback=_hex64("--digest"),
    help=say("help_package_digest"))]


@app.command(help=say("help_cmd_package_export"))
def export(
    ws: WsArg,
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help=say("help_package_out"))],
) -> None:
    """Write the certified package: minutes (PDF, DOCX), CSV, XLSX, JSON, scans, signed manifest."""
    result = export_package(open_ws(ws), out_dir)
    out.print(say("cli_exported", out=str(result.out), files=result.files, scans=result.scans,
                  fingerprint=grouped(result.key_sha256)), markup=False)
    out.print(say("cli_exported_cert", number=result.number, digest=grouped(result.digest)))
    if result.number > 1:
        err.print(say("cli_exported_recertified", n=result.number,
                      file=str(result.out / CERTIFICATE_FILE)), markup=False)
    out.print(say("cli_exported_check", out=str(result.out)), markup=False)


def _print_history(history: tuple[dict[str, Any], ...], pinned: bool) -> None:
    """Say a re-certification aloud, and what a check without the minutes' figures misses."""
    if len(history) > 1:
        err.print(say("cli_history_recertified", number=history[-1]["number"]), markup=False)
        for h in history[:-1]:
            err.print("  " + say("cli_history_entry", number=h["number"], at=h["at"], by=h["by"],
                                 digest=grouped(h["digest"])), markup=False)
        err.print("  " + say("cli_history_removed"), markup=False)
    if not pinned:
        err.print(say("cli_history_unpinned"), markup=False)


@app.command(help=say("help_cmd_package_verify"))
def verify(
    package: Annotated[Path, typer.Argument(metavar="DIR", help=say("help_package_dir"))],
    key: KeyOpt = None,
    digest: DigestOpt = None,
) -> None:
    """Check a certified package: every file's SHA-256, nothing missing or added, the signature,
    the certificate (digest of the records and the decision log) and its history."""
    result = verify_package(package, trusted_key=key, digest=digest)
    if result.ok:
        cert = result.certificate or {}
        out.print(say("cli_verified", package=str(package), files=result.files_checked,
                      fingerprint=grouped(result.key_sha256 or ""), number=cert.get("number"),
                      at=cert.get("at"), digest=grouped(cert.get("digest") or ""))
                  + (say("cli_verified_pinned") if key and digest else "."), markup=False)
        _print_history(result.history, bool(key and digest))
        return
    for problem in result.problems:
        err.print(f"{package}/{problem.words(lang())}", markup=False)
    _print_history(result.history, True)
    err.print(say("cli_not_valid", package=str(package), n=len(result.problems)), markup=False)
    raise typer.Exit(1)


@app.command(help=say("help_cmd_package_retally"))
def retally(
    source: Annotated[Path, typer.Argument(metavar="WS|DIR",
                                           help=say("help_package_ws_dir"))],
    key: KeyOpt = None,
    digest: DigestOpt = None,
) -> None:
    """Check the certificate, re-read every stored image and compare the count with the
    certified one."""
    if (source / WORKSPACE_FILE).exists():
        audit = from_workspace(open_ws(source), key, digest)
    elif (source / "manifest.json").exists():
        audit = from_package(source, key, digest)
    else:
        raise KiemphieuError(key="cli_retally_what", path=str(source))
    result = do_retally(audit)
    if result.matches:
        out.print(say("cli_retally_same", source=str(source), pages=result.pages,
                      seconds=result.seconds)
                  + (say("cli_retally_cert", number=result.history[-1]["number"],
                         digest=grouped(result.history[-1]["digest"]))
                     if result.history else "."), markup=False)
        _print_history(result.history, bool(key and digest))
        return
    for line in result.differences:
        err.print(say("cli_retally_difference", line=line), markup=False)
    _print_history(result.history, True)
    err.print(say("cli_retally_differs", source=str(source), n=len(result.differences)),
              markup=False)
    raise typer.Exit(1)


@app.command(help=say("help_cmd_package_aggregate"))
def aggregate(
    packages: Annotated[list[Path], typer.Argument(metavar="PKG...", help=say("help_aggregate_packages"))],
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help=say("help_aggregate_out"))],
    body: Annotated[str, typer.Option(
        "--body", help=say("help_aggregate_body"))] = "Cơ quan tổng hợp",
    place: Annotated[str | None, typer.Option("--place", help=say("help_aggregate_place"))] = None,
    keys: Annotated[Path | None, typer.Option(
        "--keys", metavar="FILE",
        help=say("help_aggregate_keys"))] = None,
    key: Annotated[list[str] | None, typer.Option(
        "--key", metavar="FINGERPRINT", callback=_hex64("--key"),
        help=say("help_aggregate_key"))] = None,
    trust_on_first_use: Annotated[bool, typer.Option(
        "--trust-on-first-use",
        help=say("help_aggregate_tofu"))] = False,
    parent: Annotated[str | None, typer.Option(
        "--parent", help=say("help_aggregate_parent"))] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help=say("help_aggregate_to"))] = None,
    signer: Annotated[str | None, typer.Option(
        "--signer", metavar="TITLE|NAME",
        help=say("help_aggregate_signer"))] = None,
    previous: Annotated[list[Path] | None, typer.Option(
        "--previous", metavar="PKG",
        help=say("help_aggregate_previous"))] = None,
) -> None:
    """Combine the certified packages of many units into one summary (PDF, XLSX, JSON)."""
    signed_by = None
    if signer:
        title, _, name = signer.partition("|")
        signed_by = (title.replace("\\n", "\n").strip().upper(), name.strip() or None)
    result = aggregate_packages(
        packages, out_dir, body=body, place=place,
        keys=read_unit_keys(keys) if keys is not None else None,
        package_keys=[UnitKey(k) for k in key] if key else None,
        trust_on_first_use=trust_on_first_use, parent=parent, to=to, signer=signed_by,
        previous=previous)
    out.print(say("cli_aggregated", out=str(out_dir), units=result.units, people=result.people,
                  twice=result.polled_twice), markup=False)
    for u in result.trusted_on_first_use:
        err.print(say("cli_aggregate_tofu", unit=u.doc["campaign"], package=str(u.package),
                      fingerprint=grouped(u.key_sha256), file=str(out_dir / "tong-hop.json")),
                  markup=False)
    for u in result.recertified:
        err.print(say("cli_aggregate_recertified", unit=u.doc["campaign"],
                      package=str(u.package), n=u.certificate["number"]), markup=False)
