"""The workspace's tables (SQLAlchemy Core), the schema the migrations build.

The latest migration in ``migrations/versions`` must produce exactly these
tables; ``tests/test_migrations.py`` compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

campaign_table = Table(
    "campaign",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("rules", String(32), nullable=False),
    Column("electorate", Integer, nullable=False),
    Column("session_date", Date, nullable=False),
    Column("layout", String(64), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("page_count", Integer, nullable=False),
    Column("source_yaml", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("certified_at", DateTime),  # set once by `certify`; then nothing may change
)

candidate_table = Table(
    "candidate",
    metadata,
    Column("campaign_id", String(64), ForeignKey("campaign.id"), primary_key=True),
    Column("stt", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("position", Text, nullable=False),
    Column("ballot_page", Integer, nullable=False),
    Column("row", Integer, nullable=False),
)

page_table = Table(
    "page",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("image_sha256", String(64), nullable=False),
    Column("image_path", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("page_index", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # accepted | rejected | blank_page
    Column("reason", Text),  # why, in English (the audit record)
    Column("reasons", JSON),  # why, as codes and parameters (pipeline.domain.reasons.to_json)
    Column("code_text", Text),
    Column("ballot_page", Integer),
    Column("width_px", Integer),
    Column("height_px", Integer),
    Column("quarter_turns", Integer),
    Column("px_per_mm", Float),
    Column("residual_mm", Float),
    Column("homography", JSON),
    # the fill-only rule's thresholds a page read by an early version was decided with
    # (certified as they are); None for every page read since
    Column("definite", Float),
    Column("marginal", Float),
    Column("thresholds", JSON),  # every threshold the reading used (omr.decide.MarkRule)
    Column("read_at", DateTime, nullable=False),
    Column("stack_id", Integer),  # the stack that stored it (`stack.id`)
    UniqueConstraint("campaign_id", "image_sha256", name="uq_page_image"),
)

row_table = Table(
    "row_reading",
    metadata,
    Column("page_id", Integer, ForeignKey("page.id"), primary_key=True),
    Column("candidate", Integer, primary_key=True),
    Column("outcome", String(16), nullable=False),  # vote | blank | overvote | review
    Column("level", String(8)),
    Column("reason", Text),
    Column("reasons", JSON),
    Column("fill_high", Float, nullable=False),
    Column("fill_medium", Float, nullable=False),
    Column("fill_low", Float),  # NULL on a two-level ballot (the follow-up vote)
    # per-box measurements beyond fill, to decide again without rescanning:
    # {"ink_mm2": [h, m, l], "extent_mm": [h, m, l]} (omr.scoring.RowScores)
    Column("measures", JSON),
)

review_table = Table(
    "review_item",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("page_id", Integer, ForeignKey("page.id"), nullable=False),
    # 0 for an item about the whole page; -1 for "probably the same sheet as another page"
    Column("candidate", Integer, nullable=False),
    Column("kind", String(8), nullable=False),  # row | page | same
    Column("reason", Text, nullable=False),
    Column("reasons", JSON),
    Column("created_at", DateTime, nullable=False),
    # open | resolved | escalated (two reviewers disagreed: the chair decides)
    Column("state", String(16), nullable=False, server_default="open"),
    # the decision in force: high | medium | low | invalid (rows); accepted | rejected (pages);
    # same | different (same: the sheet is the other page's, not counted; different: counted)
    Column("resolution", String(16)),
    Column("claimed_by", String(64)),
    Column("claimed_until", DateTime),
    UniqueConstraint("page_id", "candidate", name="uq_review_item"),
)

decision_table = Table(
    "decision",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("review_item.id"), nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("machine", String(64), nullable=False),  # what the machine said, e.g. "review" or "rejected"
    Column("value", String(16), nullable=False),  # what the person decided, or "undo"
    Column("reason", Text),
    Column("replaces", Integer, ForeignKey("decision.id")),  # the decision an undo takes back
)

declared_table = Table(
    "declared",
    metadata,
    Column("campaign_id", String(64), ForeignKey("campaign.id"), primary_key=True),
    Column("issued", Integer),
    Column("collected", Integer),
    Column("members", JSON),  # the counting committee: [{"name": ..., "role": ...}]
    Column("head", Text),  # Trưởng ban kiểm phiếu
    Column("note", Text),  # the committee's explanation of any mismatch
    Column("forms", JSON),  # per ballot form: {form id: {"issued": n, "collected": n}}
    Column("at", DateTime, nullable=False),
)

certification_table = Table(
    "certification",
    metadata,
    Column("campaign_id", String(64), ForeignKey("campaign.id"), primary_key=True),
    Column("at", DateTime, nullable=False),
    Column("by", Text, nullable=False),  # who certified (the committee's head, as given)
    Column("software", String(64), nullable=False),  # kiemphieu version that counted
    Column("thresholds", JSON, nullable=False),  # the campaign's mark thresholds in force
    Column("tally", JSON, nullable=False),  # the certified `tally --json`, kept for retally
    Column("reconciliation", JSON, nullable=False),  # declared vs scanned, as certified
)

certification_history_table = Table(
    "certification_history",  # every certification ever made: append-only, each chained
    metadata,                 # to the one before by its digest (pipeline.domain.certificate)
    Column("campaign_id", String(64), ForeignKey("campaign.id"), primary_key=True),
    Column("number", Integer, primary_key=True),  # 1; 2 and on are re-certifications
    Column("at", DateTime, nullable=False),
    Column("by", Text, nullable=False),
    Column("digest", String(64), nullable=False),  # SHA-256 of the certified body
    Column("previous", String(64)),  # the digest of certification number - 1 (None for 1)
    Column("key_sha256", String(64), nullable=False),  # the key that signed it
    Column("signature", Text, nullable=False),  # Ed25519, base64, of the signed message
)

declaration_log_table = Table(
    "declaration_log",  # every declaration the committee made: append-only, never updated
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("issued", Integer),
    Column("collected", Integer),
    Column("members", JSON),
    Column("head", Text),
    Column("note", Text),
    Column("forms", JSON),
    Column("at", DateTime, nullable=False),
)

page_decision_table = Table(
    "page_decision",  # the chair's decisions on whole pages: append-only, never updated
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("page_id", Integer, ForeignKey("page.id"), nullable=False),
    Column("decision", String(16), nullable=False),  # invalid | withdraw | restore
    Column("reason", Text, nullable=False),
    Column("by", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("at", DateTime, nullable=False),
)

page_print_table = Table(
    "page_print",  # the handwriting of each accepted page, to know the same sheet seen again
    metadata,
    Column("page_id", Integer, ForeignKey("page.id"), primary_key=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("ballot_page", Integer, nullable=False),
    Column("print", LargeBinary, nullable=False),  # omr.likeness.SheetPrint.to_bytes
    # the stored page it is probably the same sheet as, and how alike (0..1); None: no such page
    Column("same_as", Integer, ForeignKey("page.id")),
    Column("likeness", Float),
    Index("ix_page_print_bucket", "campaign_id", "ballot_page"),
)

user_table = Table(
    "app_user",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # operator | reviewer | chair
    Column("password_hash", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("disabled", Integer, nullable=False, server_default="0"),
)

event_table = Table(
    "scan_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("source", Text, nullable=False),
    Column("page_index", Integer, nullable=False),
    Column("image_sha256", String(64)),
    Column("page_id", Integer, ForeignKey("page.id")),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("at", DateTime, nullable=False),
    Column("stack_id", Integer),  # the stack it was seen in (`stack.id`)
)

stack_table = Table(
    "stack",  # one `scan` run or one web upload: the pages it stored, its files, its station
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # scan | upload
    Column("station", Text, nullable=False),  # the computer (or the web station's client)
    Column("by", String(64)),  # the account that uploaded it; None on the command line
    Column("sources", JSON, nullable=False),  # the files given, as named
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),  # None while it is being scanned, or if it stopped
)

stack_log_table = Table(
    "stack_log",  # the chair's records on stacks: append-only, never updated
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("stack_id", Integer, ForeignKey("stack.id"), nullable=False),
    Column("action", String(16), nullable=False),  # count | withdraw | restore
    Column("hand_count", Integer),  # count: the ballots counted by hand in the stack
    Column("reason", Text),
    Column("pages", JSON),  # withdraw | restore: the page decisions it appended, by page
    Column("by", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("at", DateTime, nullable=False),
)


hall_log_table = Table(
    "hall_log",  # the chair switching the result's page in the hall on or off: append-only
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("open", Boolean, nullable=False),  # the latest row says whether /hall shows
    Column("by", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
)


def stored_fills(*fills: float | None) -> tuple[float, ...]:
    """A row's fills as stored in ``row_reading``, one a box: a two-level row's third is NULL."""
    return tuple(f for f in fills if f is not None)
