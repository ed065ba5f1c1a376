"""``kiemphieu``: the command line (CONTRACT.md).

Exit status: 0 done; 1 the input or state was refused, with a message on
stderr that says what, where and how to fix it; 2 usage error. No command
prints a Python traceback for bad input; set ``KIEMPHIEU_DEBUG=1`` to see
one for a bug.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.domain.errors import KiemphieuError

app = typer.Typer(
    name="kiemphieu",
    help="Print, scan and count paper ballots for confidence votes (lấy phiếu tín nhiệm).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)

WsArg = Annotated[
    Path, typer.Argument(metavar="WS", help="The campaign workspace folder.", show_default=False)
]


@app.command()
def new(
    campaign_file: Annotated[Path, typer.Argument(metavar="CAMPAIGN.yaml", help="Campaign file.")],
    dir: Annotated[Path, typer.Option("--dir", help="Workspace folder to create.")],
    db: Annotated[str | None, typer.Option(
        "--db", help="Database URL; default SQLite inside the workspace.")] = None,
) -> None:
    """Create a campaign workspace from a campaign file."""
    from pipeline.domain.campaign import load_campaign
    from pipeline.domain.rules import eligibility_findings
    from pipeline.reading.printed import references
    from pipeline.store.workspace import create_workspace

    campaign = load_campaign(campaign_file)
    for f in eligibility_findings(campaign):
        err.print(f"warning: {campaign_file}, line {f.line}: STT {f.stt} {f.name}: {f.reason}")
    ws = create_workspace(campaign, dir, db, source=campaign_file)
    # the printed pages every scan compares with, rendered here once, not by the first scan
    references(ws.layout, kept_in=ws.printed_dir)
    out.print(
        f"Created workspace {ws.path} for '{campaign.id}': {len(campaign.candidates)} people "
        f"on {ws.layout.page_count} page(s) per ballot, rules {campaign.rules.name}."
    )
    out.print(f"Next: kiemphieu print {ws.path} --copies {campaign.electorate} --out ballots.pdf")


@app.command()
def check(
    campaign_file: Annotated[Path, typer.Argument(metavar="CAMPAIGN.yaml", help="Campaign file.")],
) -> None:
    """Validate a campaign file (schema, eligibility, Unicode) without creating anything."""
    from pipeline.domain.campaign import load_campaign
    from pipeline.domain.layout import build_layout
    from pipeline.domain.rules import eligibility_findings

    campaign = load_campaign(campaign_file)
    layout = build_layout(campaign)
    findings = eligibility_findings(campaign)
    out.print(
        f"{campaign_file}: campaign '{campaign.id}', rules {campaign.rules.name}, "
        f"{len(campaign.candidates)} people, {layout.page_count} page(s) per ballot."
    )
    if findings:
        for f in findings:
            err.print(
                f"{campaign_file}, line {f.line}: STT {f.stt} {f.name} should not be polled: "
                f"{f.reason}"
            )
        err.print(f"{len(findings)} problem(s): remove these people from 'candidates' and check again.")
        raise typer.Exit(1)
    out.print("OK: nothing to correct.")


@app.command("print")
def print_ballots(
    ws: WsArg,
    copies: Annotated[int, typer.Option("--copies", min=1, max=100_000, help="Ballots to print.")],
    out_file: Annotated[Path, typer.Option("--out", metavar="FILE.pdf", help="PDF to write.")],
) -> None:
    """Write N collated copies of the ballot as a PDF, and WS/layout.json."""
    from pipeline.documents.ballot_pdf import render_ballots
    from pipeline.store.workspace import open_workspace

    workspace = open_workspace(ws)
    pages = render_ballots(workspace.campaign, workspace.layout, copies, out_file)
    layout_path = workspace.write_layout_json()
    out.print(f"Wrote {out_file}: {copies} ballot(s), {pages} page(s). Layout: {layout_path}")


@app.command()
def scan(
    ws: WsArg,
    inputs: Annotated[list[Path], typer.Argument(
        metavar="INPUT...", help="Scan files (PNG, JPEG, TIFF, PDF) or folders of them.")],
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="Processes reading pages.")] = 1,
    jsonl: Annotated[Path | None, typer.Option(
        "--jsonl", metavar="FILE", help="Write one JSON line per input page.")] = None,
) -> None:
    """Ingest scans. Re-running on the same inputs adds nothing twice."""
    if workers > 1:  # the workers' fork server gets ready while this process starts up
        from pipeline.reading.workers import reader_context

        reader_context()
    from pipeline.reading.sources import collect_inputs
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.ingest import PageReport, ingest

    workspace = open_workspace(ws)
    try:
        files, skipped = collect_inputs(inputs)
    except FileNotFoundError as exc:
        raise KiemphieuError(f"{exc}: no such file or folder") from None
    for line in skipped:
        err.print(line)
    if not files:
        raise KiemphieuError("no scan files among the inputs (PNG, JPEG, TIFF, PDF)")
    jsonl_fh = jsonl.open("w", encoding="utf-8") if jsonl else None
    progress = _progress(len(files))
    seen_sources: set[str] = set()

    def on_report(report: PageReport) -> None:
        if jsonl_fh is not None:
            jsonl_fh.write(json.dumps(report.to_json(), ensure_ascii=False) + "\n")
            jsonl_fh.flush()
        if report.status not in ("accepted", "duplicate"):
            err.print(f"{report.source} page {report.page_index + 1}: {report.status}: "
                      f"{report.reason}")
        if progress is not None:
            if report.source not in seen_sources:
                seen_sources.add(report.source)
                progress[0].update(progress[1], completed=len(seen_sources) - 1)
            progress[0].update(progress[1], description=f"{Path(report.source).name}")

    try:
        if progress is not None:
            progress[0].start()
        summary = ingest(workspace, files, workers=workers, on_report=on_report)
    finally:
        if progress is not None:
            progress[0].update(progress[1], completed=len(files))
            progress[0].stop()
        if jsonl_fh is not None:
            jsonl_fh.close()
    parts = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items()))
    out.print(f"{summary.pages} page(s): {parts}. Rows for review: {summary.rows_to_review}.")


@app.command()
def tally(
    ws: WsArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
) -> None:
    """The confidence breakdown so far."""
    from pipeline.cli.report import print_tally
    from pipeline.domain.tally import compute_tally
    from pipeline.store.workspace import open_workspace

    result = compute_tally(open_workspace(ws))
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=1) + "\n")
    else:
        print_tally(out, result)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR",
                                          help="Folder for the demo's files.")] = Path("kiemphieu-demo"),
    workers: Annotated[int, typer.Option("--workers", min=1, max=64)] = 1,
) -> None:
    """The whole flow on the bundled sample campaign, with simulated marked scans."""
    from pipeline.cli.demo import run_demo
    from pipeline.cli.report import print_tally
    from pipeline.domain.tally import compute_tally
    from pipeline.store.workspace import open_workspace

    result = run_demo(out_dir, say=out.print, workers=workers)
    out.print()
    print_tally(out, compute_tally(open_workspace(result.workspace)))
    out.print()
    out.print(
        f"Checked against the simulated truth: {result.pages_matching}/{result.pages_checked} pages "
        f"with the right status; {result.rows_matching}/{result.rows_checked} rows read as marked "
        f"({result.rows_to_review} sent to review)."
    )
    out.print("Where everything went:")
    for label, path in (
        ("printed ballots", result.ballots_pdf),
        ("simulated scans and their truth", result.scans),
        ("workspace (SQLite records, page images, layout.json)", result.workspace),
        ("one JSON line per scanned page", result.jsonl),
        ("the breakdown as JSON", result.tally_json),
    ):
        out.print(f"  {label}: {path}")
    out.print(f"Try: kiemphieu tally {result.workspace}")


@app.command()
def declare(
    ws: WsArg,
    issued: Annotated[int | None, typer.Option(
        "--issued", min=0, help="Ballots the committee handed out (số phiếu phát ra).")] = None,
    collected: Annotated[int | None, typer.Option(
        "--collected", min=0, help="Ballots collected, the committee's own count (số phiếu thu về).")] = None,
    head: Annotated[str | None, typer.Option(
        "--head", metavar="NAME", help="The committee's head (Trưởng ban kiểm phiếu).")] = None,
    member: Annotated[list[str] | None, typer.Option(
        "--member", metavar="NAME|ROLE",
        help="A committee member, e.g. \"Lê Văn C|Thành viên\"; repeat for each. "
             "Given once, replaces the whole list.")] = None,
    note: Annotated[str | None, typer.Option(
        "--note", metavar="TEXT", help="The committee's explanation of a mismatch.")] = None,
) -> None:
    """Record the committee's hand count, members and head; show the reconciliation."""
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.certify import declare as do_declare
    from pipeline.workflow.certify import reconcile

    workspace = open_workspace(ws)
    d = do_declare(workspace, issued=issued, collected=collected, head=head, members=member,
                   note=note)
    out.print(f"Declared: issued {d.issued}, collected {d.collected}; head {d.head or '-'}; "
              f"{len(d.members)} member(s)." + (f" Note: {d.note}" if d.note else ""))
    _print_reconciliation(reconcile(workspace))


def _print_reconciliation(recon) -> None:
    pages = ", ".join(f"page {p}: {recon.pages_accepted.get(p, 0)}"
                      for p in range(1, recon.page_count + 1))
    out.print(f"Scanned and accepted: {pages}.")
    if recon.matches:
        out.print("Reconciliation: the hand count matches the scans.")
    for m in recon.mismatches:
        err.print(f"mismatch: {m.en}")
    if recon.blocks:
        err.print("Certification is blocked until the mismatch is resolved or explained: "
                  "kiemphieu declare WS --note TEXT")
    if recon.quorum_warning:
        err.print(f"warning: {recon.quorum_warning}")


@app.command()
def certify(
    ws: WsArg,
    by: Annotated[str | None, typer.Option(
        "--by", metavar="NAME", help="Who certifies; default the declared head.")] = None,
) -> None:
    """Lock the count once nothing is pending and the hand count reconciles."""
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.certify import certify as do_certify

    workspace = open_workspace(ws)
    record = do_certify(workspace, by)
    out.print(f"Certified by {record['by']} at {record['at']:%d/%m/%Y %H:%M} UTC: the count of "
              f"'{workspace.campaign.id}' is locked; scans and decisions are now refused.")
    out.print(f"Next: kiemphieu export {ws} --out PACKAGE")


@app.command()
def export(
    ws: WsArg,
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help="New folder for the package.")],
) -> None:
    """Write the certified package: minutes (PDF, DOCX), CSV, XLSX, JSON, scans, signed manifest."""
    from pipeline.documents.export import export_package
    from pipeline.store.workspace import open_workspace

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
    from pipeline.documents.verify import verify_package

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
    from pipeline.store.workspace import WORKSPACE_FILE, open_workspace
    from pipeline.workflow.retally import from_package, from_workspace
    from pipeline.workflow.retally import retally as do_retally

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
    from pipeline.documents.aggregate import aggregate_packages

    result = aggregate_packages(packages, out_dir, body=body, place=place)
    out.print(f"Wrote {out_dir}: {result.units} unit(s), {result.people} person(s), "
              f"{result.polled_twice} polled in more than one place.")


@app.command()
def review(
    ws: WsArg,
    action: Annotated[str, typer.Argument(
        metavar="[list|show|resolve|undo]", help="What to do; list by default.")] = "list",
    item: Annotated[int | None, typer.Argument(metavar="[ITEM]", help="Review item number.")] = None,
    value: Annotated[str | None, typer.Argument(
        metavar="[VALUE]",
        help="resolve: high, medium, low or invalid for a row; accepted or rejected for a page.")] = None,
    as_user: Annotated[str | None, typer.Option(
        "--as", metavar="NAME", help="Your account (resolve, undo); asks its password.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (needed for invalid).")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="list: resolved items too.")] = False,
    crop: Annotated[Path | None, typer.Option(
        "--crop", metavar="FILE.jpg", help="show: write the item's picture to this file.")] = None,
) -> None:
    """List, show and resolve the items the machine was not sure about.

    The list gives the machine's reasons in Vietnamese; ``show`` gives each both as
    recorded (English, the audit record) and in Vietnamese.

    \b
    kiemphieu review WS                      open and escalated items
    kiemphieu review WS show 12 --crop 12.jpg
    kiemphieu review WS resolve 12 medium --as lan
    kiemphieu review WS resolve 13 invalid --as lan --reason "two boxes marked"
    kiemphieu review WS undo --as lan        take back your latest decision
    """
    from pipeline.domain.reasons import to_vietnamese
    from pipeline.domain.rules import LEVEL_LABELS
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.review import queue_for

    workspace = open_workspace(ws)
    queue = queue_for(workspace)
    names = {c.stt: c.name for c in workspace.campaign.candidates}
    labels = {**LEVEL_LABELS, "invalid": "Không hợp lệ", "accepted": "Nhận trang",
              "rejected": "Loại trang", "undo": "hoàn tác"}

    def what(it) -> str:
        if it.kind == "row":
            return f"page {it.page_id} row STT {it.candidate} ({names.get(it.candidate, '?')})"
        return f"page {it.page_id} (whole page, machine: {it.page_status})"

    if action == "list":
        if item is not None or value is not None:
            raise typer.BadParameter("list takes no ITEM or VALUE", param_hint="ACTION")
        items = queue.items(None if show_all else ("open", "escalated"))
        for it in items:
            resolved = f" -> {it.resolution}" if it.resolution else ""
            held = f" [with {it.claimed_by}]" if it.claimed_by and it.state != "resolved" else ""
            out.print(f"{it.id:>5}  {it.state:<9}{resolved:<13} {what(it)}: "
                      f"{to_vietnamese(it.reason)}{held}", markup=False)
        counts = queue.counts()
        mode = " Two reviewers must agree." if queue.two_reviewers else ""
        out.print(f"{counts['open']} open, {counts['escalated']} escalated to the chair, "
                  f"{counts['resolved']} resolved.{mode}")
        return
    if action == "show":
        if item is None:
            raise typer.BadParameter("show needs an ITEM number", param_hint="ITEM")
        it = queue.get(item)
        out.print(f"Item {it.id}: {what(it)}", markup=False)
        out.print(f"  reason: {it.reason}", markup=False)
        in_vietnamese = to_vietnamese(it.reason)
        if in_vietnamese != it.reason:
            out.print(f"  lý do: {in_vietnamese}", markup=False)
        out.print(f"  state: {it.state}" + (f", resolution: {it.resolution}" if it.resolution else ""))
        if it.fills:
            m = it.measures or {}
            for i, level in enumerate(("high", "medium", "low")):
                extra = ""
                if m.get("ink_mm2"):
                    extra = f", ink {m['ink_mm2'][i]:.2f} mm², length {m['extent_mm'][i]:.1f} mm"
                out.print(f"  box {i + 1} {LEVEL_LABELS[level]}: fill {it.fills[i]:.3f}{extra}")
        out.print(f"  decide: {', '.join(it.values())}")
        for d in queue.history(it.id):
            why = f" ({d.reason})" if d.reason else ""
            took = f" of decision {d.replaces}" if d.replaces else ""
            out.print(f"  {d.at:%Y-%m-%d %H:%M:%S} UTC  {d.reviewer} ({d.role}): "
                      f"{labels.get(d.value, d.value)}{took}{why}; machine said {d.machine}", markup=False)
        if crop is not None:
            _write_crop(workspace, it, crop)
            out.print(f"  picture: {crop}")
        return
    if action not in ("resolve", "undo"):
        raise typer.BadParameter(f"'{action}': use list, show, resolve or undo", param_hint="ACTION")
    if not as_user:
        raise typer.BadParameter("say who decides: --as NAME", param_hint="--as")
    person = _login(workspace, as_user)
    if action == "undo":
        it = queue.undo(person, item)
        out.print(f"Undone: {person.name}'s latest decision on item {it.id}; it is {it.state} again"
                  if it.state != "resolved" else
                  f"Undone: {person.name}'s latest decision on item {it.id}; it stands at {it.resolution}")
        return
    if item is None or value is None:
        raise typer.BadParameter("resolve needs ITEM and VALUE", param_hint="ITEM")
    it = queue.decide(person, item, value, reason)
    if it.state == "resolved":
        out.print(f"Item {it.id} resolved: {labels.get(it.resolution or '', it.resolution)} "
                  f"(by {person.name}).")
    elif it.state == "escalated":
        out.print(f"Item {it.id}: the two reviewers disagree; it goes to the chair.")
    else:
        out.print(f"Item {it.id}: your decision is recorded; a second reviewer must decide it too.")


def _login(workspace, name: str):
    """The account ``name`` after its password (prompt, or KIEMPHIEU_PASSWORD for scripts)."""
    from pipeline.workflow.review import Actor
    from pipeline.workflow.users import authenticate

    password = os.environ.get("KIEMPHIEU_PASSWORD")
    if password is None:
        password = typer.prompt(f"Password for {name}", hide_input=True, err=True)
    user = authenticate(workspace.store, name, password)
    if user is None:
        raise KiemphieuError(f"wrong account name or password for '{name}' "
                             "(see the accounts with: kiemphieu user list --ws WS)")
    return Actor(user.name, user.role)


def _write_crop(workspace, it, target: Path) -> None:
    from pipeline.documents.images import PageImages, row_view
    from pipeline.store.store import page_table

    with workspace.store.engine.connect() as conn:
        page = conn.execute(page_table.select().where(page_table.c.id == it.page_id)).mappings().one()
    images = PageImages(workspace.path)
    if it.kind == "row" and page["homography"]:
        data = images.row_jpeg(page["image_path"], page["homography"],
                               row_view(workspace.layout, it.ballot_page, it.candidate))
    else:
        data = images.page_jpeg(page["image_path"], page["homography"], workspace.layout.frame.page_size_mm)
    target.write_bytes(data)


user_app = typer.Typer(help="Accounts of the web station: operators, reviewers, the chair.",
                       no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Account name (letters, digits, . - _).")],
    role: Annotated[str, typer.Option("--role", metavar="operator|reviewer|chair",
                                      help="operator scans; reviewer decides; chair decides all.")],
    ws: Annotated[Path, typer.Option("--ws", metavar="WS", envvar="KIEMPHIEU_WS",
                                          help="The campaign workspace (default: here).")] = Path("."),
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from the first line of standard input.")] = False,
) -> None:
    """Create an account (asks the password twice unless --password-stdin)."""
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.users import add_user

    workspace = open_workspace(ws)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True, err=True)
    user = add_user(workspace.store, name, role, password)
    out.print(f"Account '{user.name}' created with role {user.role}.")


@user_app.command("list")
def user_list(
    ws: Annotated[Path, typer.Option("--ws", metavar="WS", envvar="KIEMPHIEU_WS",
                                          help="The campaign workspace (default: here).")] = Path("."),
) -> None:
    """List the accounts and their roles."""
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.users import list_users

    for user in list_users(open_workspace(ws).store):
        out.print(f"{user.name:<24} {user.role}{'  (disabled)' if user.disabled else ''}", markup=False)


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(metavar="NAME")],
    ws: Annotated[Path, typer.Option("--ws", metavar="WS", envvar="KIEMPHIEU_WS",
                                          help="The campaign workspace (default: here).")] = Path("."),
) -> None:
    """Stop an account from logging in (its decisions stay on the record)."""
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.users import set_disabled

    set_disabled(open_workspace(ws).store, name, True)
    out.print(f"Account '{name}' disabled.")


@app.command()
def serve(
    ws: WsArg,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; 127.0.0.1 = this computer only.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
) -> None:
    """The web review station (queue, dashboard, ballot browser, upload)."""
    import uvicorn

    from pipeline.web.app import create_app

    loopback = host in ("127.0.0.1", "localhost", "::1")
    hosts = ("127.0.0.1", "localhost", "[::1]") if loopback else ("*",)
    web = create_app(ws, allowed_hosts=hosts)
    if not loopback:
        err.print(f"warning: listening on {host}: other computers on the network can reach the "
                  "station; use it only on the committee's own network")
    out.print(f"Trạm kiểm phiếu: http://{'127.0.0.1' if loopback else host}:{port}/ "
              "(Ctrl+C to stop). Accounts: kiemphieu user add NAME --role reviewer --ws WS")
    uvicorn.run(web, host=host, port=port, log_level="warning", access_log=False,
                server_header=False)


@app.command()
def explain(
    ws: WsArg,
    page: Annotated[int, typer.Argument(help="The page's id in the store (web station, review list).")],
    out_file: Annotated[Path, typer.Option("--out", metavar="FILE.png", help="The annotated page.")],
) -> None:
    """Draw what the reader saw on one stored page: marks, grid, each box's numbers, each row's decision."""
    from pipeline.documents.explain import explain_stored_page
    from pipeline.store.workspace import open_workspace

    out.print(f"wrote {explain_stored_page(open_workspace(ws), page, out_file)}")


@app.command()
def redecide(
    ws: WsArg,
    apply_changes: Annotated[bool, typer.Option(
        "--apply", help="Store the new decisions (default: only say what would change).")] = False,
) -> None:
    """Decide the stored rows again under the thresholds now in WS/campaign.yaml, without rescanning."""
    from pipeline.store.workspace import open_workspace
    from pipeline.workflow.redecide import apply, plan

    workspace = open_workspace(ws)
    planned = plan(workspace)
    t = planned.thresholds
    out.print(f"Thresholds: mark {t.mark_extent_mm} mm long and {t.mark_ink_mm2} mm² of ink, "
              f"faint from {t.faint_ink_mm2} mm², inked over from fill {t.blackout_fill}, "
              f"a dot on a box's outline from {t.outline_ink_mm2} mm².")
    out.print(f"{planned.rows} stored rows decided again ({planned.kept} left in review for a "
              f"streak, a struck-out name or a note); {len(planned.changes)} change.")
    for (before, after), n in sorted(planned.summary().items()):
        out.print(f"  {before} -> {after}: {n}")
    for change in planned.changes[:50]:
        out.print(f"  {change.describe()}")
    if len(planned.changes) > 50:
        out.print(f"  ... and {len(planned.changes) - 50} more")
    if not apply_changes:
        if planned.changes:
            out.print(f"Nothing stored. To store these decisions: kiemphieu redecide {ws} --apply")
        return
    changed = apply(workspace, planned)
    out.print(f"Stored: {changed} rows decided again; the tally counts them now.")


def _progress(total: int):
    if not sys.stderr.isatty():
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[bold]Đang quét[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False,
    )
    return progress, progress.add_task("", total=total)


INTERRUPTED = "Interrupted: pages stored so far are kept; run the same command again."


def main() -> None:
    """Entry point: run the app; turn refusals into messages and exit status 1."""
    warnings.filterwarnings("ignore", module=r"PIL\..*")  # damaged files get our own message
    try:
        app()  # usage errors exit 2 here, with click's message
    except KiemphieuError as exc:
        err.print(f"error: {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print(INTERRUPTED)
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 130:  # Typer turns Ctrl+C inside a command into this exit, silently
            err.print(INTERRUPTED)
        raise
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err.print(f"error: {where}{exc.strerror or exc}")
        sys.exit(1)
    except Exception as exc:  # a bug: say so plainly, no traceback unless asked
        if os.environ.get("KIEMPHIEU_DEBUG"):
            traceback.print_exc()
        err.print(f"internal error: {type(exc).__name__}: {exc}. This is a bug in kiemphieu; "
                  f"run again with KIEMPHIEU_DEBUG=1 and report the output.")
        sys.exit(1)


if __name__ == "__main__":
    main()
