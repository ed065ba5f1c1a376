"""``kiemphieu export``, ``verify``, ``retally`` and ``aggregate``: the certified package and its audit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pipeline.cli.console import WsArg, err, out
from pipeline.documents.aggregate import UnitKey, aggregate_packages, read_unit_keys
from pipeline.documents.export import CERTIFICATE_FILE, export_package
from pipeline.documents.verify import verify_package
from pipeline.domain.certificate import CertificateError, grouped, parse_hex64
from pipeline.domain.errors import KiemphieuError
from pipeline.store.workspace import WORKSPACE_FILE, open_workspace
from pipeline.workflow.retally import from_package, from_workspace
from pipeline.workflow.retally import retally as do_retally

app = typer.Typer()


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
            raise typer.BadParameter(str(exc)) from None
    return parse


KeyOpt = Annotated[str | None, typer.Option(
    "--key", metavar="FINGERPRINT", callback=_hex64("--key"),
    help="The key's fingerprint as printed in the signed minutes (64 hex digits; spaces, line "
         "breaks and case do not matter).")]
DigestOpt = Annotated[str | None, typer.Option(
    "--digest", metavar="DIGEST", callback=_hex64("--digest"),
    help="The certificate's digest as printed in the signed minutes (64 hex digits; spaces, "
         "line breaks and case do not matter).")]


@app.command()
def export(
    ws: WsArg,
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help="New folder for the package.")],
) -> None:
    """Write the certified package: minutes (PDF, DOCX), CSV, XLSX, JSON, scans, signed manifest."""
    result = export_package(open_workspace(ws), out_dir)
    out.print(f"Wrote {result.out}: {result.files} files ({result.scans} scans), signed with key "
              f"{grouped(result.key_sha256)}.")
    out.print(f"Certificate no. {result.number}, digest {grouped(result.digest)}.")
    if result.number > 1:
        err.print(f"warning: the count was certified {result.number} times; see "
                  f"{result.out / CERTIFICATE_FILE}: the minutes signed at the first certification "
                  "carry another digest")
    out.print(f"Check it with: kiemphieu verify {result.out} --key FINGERPRINT --digest DIGEST "
              "(both as printed in the signed minutes)")


def _print_history(history: tuple[dict[str, Any], ...], pinned: bool) -> None:
    """Say a re-certification aloud, and what a check without the minutes' figures misses."""
    if len(history) > 1:
        err.print(f"warning: RE-CERTIFIED: this is certification no. {history[-1]['number']}; "
                  "the count was certified before:", markup=False)
        for h in history[:-1]:
            err.print(f"  no. {h['number']} at {h['at']} UTC by {h['by']}, digest "
                      f"{grouped(h['digest'])}", markup=False)
        err.print("  kiemphieu has no command that certifies a count twice: a certification "
                  "record was removed. Only the digest on the minutes the committee signed "
                  "tells which count is theirs.", markup=False)
    if not pinned:
        err.print("note: without --key and --digest from the signed minutes, this only shows "
                  "that the package is as its signer made it, not that the signer is the "
                  "committee nor that the count is the one they signed.", markup=False)


@app.command()
def verify(
    package: Annotated[Path, typer.Argument(metavar="DIR", help="A package made by export.")],
    key: KeyOpt = None,
    digest: DigestOpt = None,
) -> None:
    """Check a certified package: every file's SHA-256, nothing missing or added, the signature,
    the certificate (digest of the records and the decision log) and its history."""
    result = verify_package(package, trusted_key=key, digest=digest)
    if result.ok:
        cert = result.certificate or {}
        out.print(f"{package}: OK: {result.files_checked} files match the signed manifest; key "
                  f"{grouped(result.key_sha256 or '')}; certificate no. {cert.get('number')} of "
                  f"{cert.get('at')} UTC, digest {grouped(cert.get('digest') or '')}"
                  + ("; key and digest are those of the minutes." if key and digest else "."))
        _print_history(result.history, bool(key and digest))
        return
    for problem in result.problems:
        err.print(f"{package}/{problem}", markup=False)
    _print_history(result.history, True)
    err.print(f"{package}: NOT VALID: {len(result.problems)} problem(s); do not use this package.")
    raise typer.Exit(1)


@app.command()
def retally(
    source: Annotated[Path, typer.Argument(metavar="WS|DIR",
                                           help="A certified workspace, or a package made by export.")],
    key: KeyOpt = None,
    digest: DigestOpt = None,
) -> None:
    """Check the certificate, re-read every stored image and compare the count with the
    certified one."""
    if (source / WORKSPACE_FILE).exists():
        audit = from_workspace(open_workspace(source), key, digest)
    elif (source / "manifest.json").exists():
        audit = from_package(source, key, digest)
    else:
        raise KiemphieuError(f"{source}: neither a workspace nor an exported package")
    result = do_retally(audit)
    if result.matches:
        out.print(f"Retally of {source}: {result.pages} page image(s) re-read in "
                  f"{result.seconds:.1f} s; the count is identical to the certified one"
                  + (f" (certificate no. {result.history[-1]['number']}, digest "
                     f"{grouped(result.history[-1]['digest'])})." if result.history else "."))
        _print_history(result.history, bool(key and digest))
        return
    for line in result.differences:
        err.print(f"difference: {line}", markup=False)
    _print_history(result.history, True)
    err.print(f"Retally of {source}: {len(result.differences)} difference(s) from the certified count.")
    raise typer.Exit(1)


@app.command()
def aggregate(
    packages: Annotated[list[Path], typer.Argument(metavar="PKG...", help="Certified packages.")],
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help="New folder for the summary.")],
    body: Annotated[str, typer.Option(
        "--body", help="The office that rolls up (printed top-left).")] = "Cơ quan tổng hợp",
    place: Annotated[str | None, typer.Option("--place", help="Place printed with the date.")] = None,
    keys: Annotated[Path | None, typer.Option(
        "--keys", metavar="FILE",
        help="The units' keys, one line each: CAMPAIGN-ID FINGERPRINT [DIGEST], copied from "
             "each unit's signed minutes.")] = None,
    key: Annotated[list[str] | None, typer.Option(
        "--key", metavar="FINGERPRINT", callback=_hex64("--key"),
        help="A unit's key fingerprint from its signed minutes: once per package, in the "
             "order of the packages.")] = None,
    trust_on_first_use: Annotated[bool, typer.Option(
        "--trust-on-first-use",
        help="Take the key a package carries for a unit whose key is not given (recorded in "
             "the summary).")] = False,
    parent: Annotated[str | None, typer.Option(
        "--parent", help="The body above the office (printed above it, top-left).")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="Whom the report is addressed to (Kính gửi).")] = None,
    signer: Annotated[str | None, typer.Option(
        "--signer", metavar="TITLE|NAME",
        help="Who signs the report: the title (e.g. 'KT. GIÁM ĐỐC\\nPHÓ GIÁM ĐỐC'), then "
             "'|' and the name.")] = None,
    previous: Annotated[list[Path] | None, typer.Option(
        "--previous", metavar="PKG",
        help="A package of the last round (repeat for each): each person's result there is "
             "set beside this round's.")] = None,
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
    out.print(f"Wrote {out_dir}: {result.units} unit(s), {result.people} person(s), "
              f"{result.polled_twice} polled in more than one place.")
    for u in result.trusted_on_first_use:
        err.print(f"warning: unit '{u.doc['campaign']}' ({u.package}): key "
                  f"{grouped(u.key_sha256)} taken on first use, not checked against its minutes; "
                  f"recorded in {out_dir / 'tong-hop.json'}", markup=False)
    for u in result.recertified:
        err.print(f"warning: unit '{u.doc['campaign']}' ({u.package}): the count was certified "
                  f"{u.certificate['number']} times (kiemphieu verify {u.package})", markup=False)
