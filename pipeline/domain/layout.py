"""From a campaign and a template in `ballot_layouts/` to the printed geometry.

`build_layout` decides which candidate goes on which page and row, and where
every box, mark and code is printed, in millimetres. The printer draws it;
the reader measures against it; `layout.json` publishes it (CONTRACT.md).

The layout fingerprint is a hash of everything that decides what a mark
means: the geometry and the list of people in ballot order. A ballot printed
from another version of the list carries another fingerprint and is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import yaml

from omr.geometry import CORNERS, Marker, PageFrame, PageTemplate, Rect, RowSpec
from pipeline.domain.campaign import Campaign, Candidate
from pipeline.domain.errors import CampaignError
from pipeline.domain.rules import LEVELS

#: White margin (mm) inside ``frame.qr`` around the printed QR symbol.
QR_QUIET_ZONE = 2.5

CODE_PREFIX = "KP1"
TEST_MARK = "MẪU THỬ"  # the last field of a test deck's code (`pipeline.workflow.testdeck`)


@dataclass(frozen=True)
class Column:
    name: str
    x: float
    w: float


@dataclass(frozen=True)
class PageLayout:
    """One printed page: its template for the reader and who is on each row."""

    template: PageTemplate
    candidates: tuple[Candidate, ...]  # row i (1-based) is candidates[i - 1]
    table_top: float


@dataclass(frozen=True)
class BallotLayout:
    campaign_id: str
    template_name: str
    spec: dict[str, Any]
    frame: PageFrame
    columns: tuple[Column, ...]
    pages: tuple[PageLayout, ...]
    fingerprint: str
    # the campaign printed from this layout: what the printed page looks like (titles, names),
    # for the reader's reference image of the unmarked page (`pipeline.reading.printed`)
    campaign: Campaign | None = field(default=None, compare=False, repr=False)
    # a test deck's layout: its pages say MẪU THỬ, printed and in the code
    test: bool = False

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def page(self, number: int) -> PageLayout:
        return self.pages[number - 1]

    def code_text(self, page: int) -> str:
        """What the QR code on ``page`` holds."""
        return encode_code(self.campaign_id, self.fingerprint, page, self.page_count, self.test)

    @property
    def code_symbol(self) -> Rect:
        """Where the QR symbol itself is printed (mm): ``frame.qr`` less its quiet zone."""
        return self.frame.qr.inset(QR_QUIET_ZONE)

    def code_matrices(self) -> dict[str, np.ndarray]:
        """Every page's code text and its symbol's dark modules (bool, (n, n)), as printed."""
        return {text: np.array(qr_matrix(text), dtype=bool)
                for text in (self.code_text(p) for p in range(1, self.page_count + 1))}

    def to_json(self) -> dict[str, Any]:
        """The CONTRACT's ``layout.json``, with the marks and codes added."""
        return {
            "campaign": self.campaign_id,
            "fingerprint": self.fingerprint,
            "template": self.template_name,
            "page_size_mm": list(self.frame.page_size_mm),
            "levels": list(LEVELS),
            "markers": {
                "dictionary": self.frame.aruco_dictionary,
                "marks": [
                    {"id": m.marker_id, "corner": m.corner, **_rect_json(m.square)}
                    for m in self.frame.markers
                ],
            },
            "qr": _rect_json(self.frame.qr),
            "pages": [
                {
                    "page": p.template.page,
                    "code": self.code_text(p.template.page),
                    "boxes": [
                        {"candidate": cand.stt, "level": level, **_rect_json(box)}
                        for cand, row in zip(p.candidates, p.template.rows, strict=True)
                        for level, box in zip(LEVELS, row.boxes, strict=True)
                    ],
                    "rows": [
                        {"candidate": cand.stt, **_rect_json(row.band)}
                        for cand, row in zip(p.candidates, p.template.rows, strict=True)
                    ],
                    "writing_allowed": [_rect_json(r) for r in p.template.writing_allowed],
                }
                for p in self.pages
            ],
        }


@dataclass(frozen=True)
class BallotCode:
    campaign_id: str
    fingerprint: str
    page: int
    pages: int
    test: bool = False  # a test deck's sheet (`TEST_MARK`)


def encode_code(campaign_id: str, fingerprint: str, page: int, pages: int,
                test: bool = False) -> str:
    return f"{CODE_PREFIX}|{campaign_id}|{fingerprint}|{page}/{pages}" + \
        (f"|{TEST_MARK}" if test else "")


def parse_code(text: str) -> BallotCode | None:
    """The QR payload read from a page, or None if it is not a kiemphieu code."""
    parts = text.strip().split("|")
    test = len(parts) == 5 and parts[4] == TEST_MARK
    if len(parts) != 4 + test or parts[0] != CODE_PREFIX:
        return None
    page, _, pages = parts[3].partition("/")
    if not (page.isdigit() and pages.isdigit()):
        return None
    return BallotCode(parts[1], parts[2], int(page), int(pages), test)


def load_template(name: str) -> dict[str, Any]:
    """The geometry constants of ``ballot_layouts/NAME.yaml``."""
    try:
        text = resources.files("ballot_layouts").joinpath(f"{name}.yaml").read_text("utf-8")
    except FileNotFoundError:
        raise CampaignError(f"layout '{name}' does not exist in ballot_layouts/") from None
    return yaml.safe_load(text)


def build_layout(campaign: Campaign) -> BallotLayout:
    """Place every candidate of ``campaign`` on a page and row of its template."""
    spec = load_template(campaign.layout)
    frame = _frame(spec)
    tbl = spec["table"]
    columns = _columns(tbl)
    row_h = float(tbl["row_height"])
    bottom = float(tbl["bottom"])
    tops = (float(spec["first_page"]["table_top"]), float(spec["next_pages"]["table_top"]))

    pages: list[PageLayout] = []
    remaining = list(campaign.candidates)
    signature = _signature(spec) if campaign.rules.signature_allowed else ()
    while remaining:
        table_top = tops[0] if not pages else tops[1]
        first_row_y = table_top + float(tbl["header_height"])
        fits = math.floor((bottom - first_row_y) / row_h + 1e-9)
        on_page, remaining = remaining[:fits], remaining[fits:]
        rows = tuple(
            _row(i + 1, first_row_y + i * row_h, row_h, columns, float(tbl["box_size"]))
            for i in range(len(on_page))
        )
        template = PageTemplate(
            page=len(pages) + 1,
            frame=frame,
            rows=rows,
            box_line_mm=float(tbl["box_line"]),
            writing_allowed=signature,
        )
        pages.append(PageLayout(template=template, candidates=tuple(on_page), table_top=table_top))

    fingerprint = _fingerprint(campaign, spec, len(pages))
    return BallotLayout(
        campaign_id=campaign.id,
        template_name=spec["name"],
        spec=spec,
        frame=frame,
        columns=columns,
        pages=tuple(pages),
        fingerprint=fingerprint,
        campaign=campaign,
    )


def _frame(spec: dict[str, Any]) -> PageFrame:
    width, height = (float(v) for v in spec["page_size_mm"])
    m = spec["markers"]
    size, inset = float(m["size"]), float(m["inset"])
    origin = {
        "top_left": (inset, inset),
        "top_right": (width - inset - size, inset),
        "bottom_right": (width - inset - size, height - inset - size),
        "bottom_left": (inset, height - inset - size),
    }
    markers = tuple(
        Marker(marker_id=int(m["ids"][c]), corner=c, square=Rect(*origin[c], size, size))
        for c in CORNERS
    )
    q = spec["qr"]
    return PageFrame(
        page_size_mm=(width, height),
        aruco_dictionary=m["dictionary"],
        markers=markers,
        qr=Rect(float(q["x"]), float(q["y"]), float(q["size"]), float(q["size"])),
    )


def _columns(tbl: dict[str, Any]) -> tuple[Column, ...]:
    widths = tbl["columns"]
    names = ["stt", "name", "position", *LEVELS]
    x = float(tbl["x"])
    out = []
    for name in names:
        w = float(widths["level"] if name in LEVELS else widths[name])
        out.append(Column(name, x, w))
        x += w
    return tuple(out)


def _row(index: int, y: float, h: float, columns: tuple[Column, ...], box: float) -> RowSpec:
    boxes = tuple(
        Rect(c.x + (c.w - box) / 2, y + (h - box) / 2, box, box)
        for c in columns
        if c.name in LEVELS
    )
    band = Rect(columns[0].x, y, columns[-1].x + columns[-1].w - columns[0].x, h)
    return RowSpec(row=index, boxes=boxes, band=band)


def _signature(spec: dict[str, Any]) -> tuple[Rect, ...]:
    s = spec.get("signature")
    if not s:
        return ()
    return (Rect(float(s["x"]), float(s["y"]), float(s["w"]), float(s["h"])),)


def _fingerprint(campaign: Campaign, spec: dict[str, Any], page_count: int) -> str:
    material = {
        "campaign": campaign.id,
        "template": spec,
        "pages": page_count,
        "signature": campaign.rules.signature_allowed,
        "candidates": [[c.stt, c.name, c.position] for c in campaign.candidates],
    }
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]


def _rect_json(r: Rect) -> dict[str, float]:
    return {"x": round(r.x, 3), "y": round(r.y, 3), "w": round(r.w, 3), "h": round(r.h, 3)}


def qr_matrix(text: str) -> list[list[bool]]:
    """Dark modules (True) of ``text`` as a QR symbol, error correction M, no border: what
    the ballot prints in `BallotLayout.code_symbol`."""
    import qrcode  # what prints the code; a reader needs it only to compare a damaged one
    import qrcode.constants

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return [[bool(v) for v in row] for row in code.get_matrix()]
