"""A campaign workspace: a folder with the campaign, its layout, images and records.

::

    WS/
      workspace.json     which campaign, where its records are (db URL)
      campaign.yaml      the campaign file as given (NFC)
      layout.json        where every box is printed (CONTRACT.md)
      kiemphieu.db       SQLite records (unless --db names another database)
      images/ab/<sha256>.<ext>   every scanned page, by content hash
      keys/workspace-ed25519.pem the key that signs the certificate and the package (mode
                         0600; made by `new`, never replaced: `pipeline.store.keys`)
      printed/           the ballot's pages as printed, rendered by `new` for finding notes
                         (`pipeline.reading.printed.references`); a copy, made again if lost
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, insert, inspect
from sqlalchemy.exc import SQLAlchemyError

from pipeline.domain.campaign import Campaign, parse_campaign
from pipeline.domain.committee import Declaration, Person
from pipeline.domain.errors import CampaignError, WorkspaceError
from pipeline.domain.layout import BallotLayout, build_layout
from pipeline.domain.reasons import failure
from pipeline.domain.tally import Tally, tally_from_counts
from pipeline.files import atomic_write
from pipeline.store.keys import make_key
from pipeline.store.migrations import create as create_versioned_schema
from pipeline.store.migrations import ensure_current
from pipeline.store.schema import campaign_table, candidate_table
from pipeline.store.store import Store, connect, now

WORKSPACE_FILE = "workspace.json"


@dataclass
class Workspace:
    path: Path
    campaign: Campaign
    layout: BallotLayout
    store: Store
    db_url: str

    @property
    def test(self) -> bool:
        """A test deck's workspace (`pipeline.workflow.testdeck`): it counts only MẪU THỬ
        sheets and refuses real ones."""
        return self.layout.test

    @property
    def images_dir(self) -> Path:
        return self.path / "images"

    @property
    def printed_dir(self) -> Path:
        return self.path / "printed"

    def tally(self) -> Tally:
        """The confidence breakdown of the rows stored so far (`pipeline.domain.tally`)."""
        store = self.store
        return tally_from_counts(
            self.campaign, store.status_counts(), store.row_outcomes(), store.declared(),
            invalid=store.invalid_pages(), duplicate=store.duplicate_events(),
            declared_forms=store.declared_forms(), layout=self.layout,
            certified=store.certified_at() is not None,
        )

    def declaration(self) -> Declaration | None:
        """What the committee declared (``kiemphieu declare``), or None before it has."""
        row = self.store.declaration()
        if row is None:
            return None
        members = tuple(Person(m["name"], m.get("role") or "Thành viên")
                        for m in (row["members"] or []))
        return Declaration(row["issued"], row["collected"], row["head"], members, row["note"],
                           row["at"])

    def write_layout_json(self) -> Path:
        target = self.path / "layout.json"
        atomic_write(target, json.dumps(self.layout.to_json(), ensure_ascii=False, indent=1))
        return target


def sqlite_url(ws: Path) -> str:
    return f"sqlite:///{(ws / 'kiemphieu.db').resolve()}"


def create_workspace(campaign: Campaign, ws: Path, db_url: str | None = None,
                     source: Path | None = None, test: bool = False) -> Workspace:
    """Make ``ws`` for ``campaign``; refuse if it already holds a workspace.

    ``ws`` may already hold other files (the campaign file itself, say), but
    none of the workspace's own names, except that ``source``, the campaign
    file the workspace is made from, may be ``ws/campaign.yaml``.
    """
    if (ws / WORKSPACE_FILE).exists():
        raise WorkspaceError(key="ws_already", path=str(ws))
    if ws.exists() and not ws.is_dir():
        raise WorkspaceError(key="ws_not_folder", path=str(ws))
    taken = [name for name in ("kiemphieu.db", "images", "layout.json", "campaign.yaml", "keys")
             if (ws / name).exists()]
    if "campaign.yaml" in taken and source is not None and source.exists() \
            and (ws / "campaign.yaml").samefile(source):
        taken.remove("campaign.yaml")
    if taken:
        raise WorkspaceError(key="ws_holds", path=str(ws), names=", ".join(taken))
    layout = dataclasses.replace(build_layout(campaign), test=test)
    made = [d for d in (ws, ws / "images") if not d.exists()]
    ws.mkdir(parents=True, exist_ok=True)
    (ws / "images").mkdir(exist_ok=True)
    url = db_url or sqlite_url(ws)
    engine = _engine(url)
    try:
        _create_records(engine, url, campaign, layout)
    except WorkspaceError:
        # nothing was made: what this call made goes, so that the same command can be run
        # again once the database is reachable
        engine.dispose()
        if db_url is None:
            (ws / "kiemphieu.db").unlink(missing_ok=True)
        for d in reversed(made):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        raise
    atomic_write(ws / "campaign.yaml", campaign.source_text)
    make_key(ws)  # the key that will sign the certificate: made now, never replaced
    atomic_write(ws / WORKSPACE_FILE, json.dumps(
        {"campaign": campaign.id, "db": db_url, "format": 1, **({"test": True} if test else {})},
        indent=1))
    workspace = Workspace(ws, campaign, layout, Store(engine, campaign.id), url)
    workspace.write_layout_json()
    return workspace


def _create_records(engine: Engine, url: str, campaign: Campaign, layout: BallotLayout) -> None:
    """The campaign's tables and first rows in a database that holds none yet."""
    try:
        if inspect(engine).has_table("campaign"):
            raise WorkspaceError(key="ws_db_not_empty", db=_redact(url))
        create_versioned_schema(engine)  # tables of store.py, stamped with the newest revision
        page_of = {c.stt: (p.template.page, i + 1)
                   for p in layout.pages for i, c in enumerate(p.candidates)}
        with engine.begin() as conn:
            conn.execute(insert(campaign_table).values(
                id=campaign.id, title=campaign.title, body=campaign.body,
                rules=campaign.rules.name, electorate=campaign.electorate,
                session_date=campaign.session_date, layout=campaign.layout,
                fingerprint=layout.fingerprint, page_count=layout.page_count,
                source_yaml=campaign.source_text, created_at=now(),
            ))
            conn.execute(insert(candidate_table), [
                {"campaign_id": campaign.id, "stt": c.stt, "name": c.name,
                 "position": c.position, "ballot_page": page_of[c.stt][0],
                 "row": page_of[c.stt][1]}
                for c in campaign.candidates
            ])
    except SQLAlchemyError as exc:
        raise WorkspaceError(key="ws_db_create", db=_redact(url), cause=failure(exc)) from None


def open_workspace(ws: Path) -> Workspace:
    """Open an existing workspace, checking that its campaign file is unchanged."""
    marker = ws / WORKSPACE_FILE
    if not marker.is_file():
        raise WorkspaceError(key="cli_ws_not", path=str(ws))
    file = marker
    try:
        info = json.loads(marker.read_text("utf-8"))
        if not isinstance(info, dict):
            raise WorkspaceError(key="ws_marker_not", path=str(ws), file=str(marker))
        file = ws / "campaign.yaml"
        text = file.read_text("utf-8")
    except (OSError, ValueError) as exc:
        raise WorkspaceError(key="ws_damaged", path=str(ws), file=str(file),
                             cause=failure(exc)) from None
    try:
        campaign = parse_campaign(text, str(ws / "campaign.yaml"))
    except CampaignError as exc:
        raise WorkspaceError(key="ws_copy_changed", error=exc) from None
    layout = dataclasses.replace(build_layout(campaign), test=info.get("test") is True)
    url = info.get("db") or sqlite_url(ws)
    engine = _engine(url)
    try:
        ensure_current(engine, _redact(url))  # upgrade older records, refuse newer ones
        with engine.connect() as conn:
            stored = conn.execute(
                campaign_table.select().where(campaign_table.c.id == campaign.id)
            ).mappings().first()
    except SQLAlchemyError as exc:
        raise WorkspaceError(key="ws_db_read", path=str(ws), db=_redact(url),
                             cause=failure(exc)) from None
    if stored is None:
        raise WorkspaceError(key="ws_db_no_campaign", db=_redact(url), campaign=campaign.id)
    if stored["fingerprint"] != layout.fingerprint:
        raise WorkspaceError(key="ws_campaign_differs", file=str(ws / "campaign.yaml"),
                             layout=layout.fingerprint, records=stored["fingerprint"])
    return Workspace(ws, campaign, layout, Store(engine, campaign.id), url)


def _engine(url: str):
    try:
        return connect(url)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise WorkspaceError(key="ws_db_unusable", db=_redact(url), cause=failure(exc)) from None


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
