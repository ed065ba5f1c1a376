"""From a campaign and a template in `ballot_layouts/` to the printed geometry.

`build_layout` decides which candidate goes on which page and row, and where
every box, mark and code is printed, in millimetres. The printer draws it;
the reader measures against it; `layout.json` publishes it (CONTRACT.md).

The layout fingerprint is a hash of everything that decides what a mark
means: the geometry and the list of people in ballot order. A ballot printed
from another version of the list carries another fingerprint and is refused.

A campaign of several ballot forms (``forms:``) is laid out form by form: each
form starts on a page of its own, has its own fingerprint, and its QR code
names that fingerprint and the page within the form, so each form is read and
counted as a ballot of its own. The pages are numbered through all the forms
(form 1's pages, then form 2's ...): that number is the stored ``ballot_page``.
A campaign without ``forms:`` is one form whose fingerprint is the layout's.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from omr.geometry import CORNERS, Marker, PageFrame, PageTemplate, Rect, RowSpec
from pipeline.domain.campaign import Campaign, Candidate, Form
from pipeline.domain.errors import CampaignError
from pipeline.domain.rules import KIND_POLL, LEVELS

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
    form: str | None = None  # the `Form` id, in a campaign of several forms


@dataclass(frozen=True)
class FormLayout:
    """One ballot form's pages: ``first_page`` .. ``first_page + page_count - 1``.

    ``id`` is None for a campaign without ``forms:`` (one form, the whole ballot).
    """

    id: str | None
    title: str
    paper: str | None
    first_page: int
    page_count: int
    fingerprint: str

    def pages(self) -> range:
        return range(self.first_page, self.first_page + self.page_count)


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
    # the levels of the boxes in each row, in order (`Campaign.levels`)
    levels: tuple[str, ...] = LEVELS
    # the ballot forms, in page order; one form (id None) without ``forms:``
    forms: tuple[FormLayout, ...] = ()
    # a test deck's layout: its pages say MẪU THỬ, printed and in the code
    test: bool = False

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def page(self, number: int) -> PageLayout:
        return self.pages[number - 1]

    def form_of(self, page: int) -> FormLayout:
        """The form that ``page`` (numbered through all forms) belongs to."""
        return next(f for f in self.forms if page in f.pages())

    def form(self, form_id: str | None) -> FormLayout:
        return next(f for f in self.forms if f.id == form_id)

    def code_text(self, page: int) -> str:
        """What the QR code on ``page`` holds: its form's fingerprint and page in the form
        (and MẪU THỬ, a test deck's)."""
        form = self.form_of(page)
        return encode_code(self.campaign_id, form.fingerprint, page - form.first_page + 1,
                           form.page_count, self.test)

    def locate(self, code: BallotCode) -> int | None:
        """The page (numbered through all forms) a read code names, or None when no form of
        this layout has its fingerprint and page count, or the page is not in the form."""
        for f in self.forms:
            if f.fingerprint == code.fingerprint and f.page_count == code.pages:
                return f.first_page + code.page - 1 if 1 <= code.page <= f.page_count else None
        return None

    @property
    def code_symbol(self) -> Rect:
        """Where the QR symbol itself is printed (mm): ``frame.qr`` less its quiet zone."""
        return self.frame.qr.inset(QR_QUIET_ZONE)

    def to_json(self) -> dict[str, Any]:
        """The CONTRACT's ``layout.json``, with the marks and codes added."""
        return {
            "campaign": self.campaign_id,
            "fingerprint": self.fingerprint,
            "template": self.template_name,
            "page_size_mm": list(self.frame.page_size_mm),
            "levels": list(self.levels),
            "forms": [
                {"id": f.id, "title": f.title, "paper": f.paper, "fingerprint": f.fingerprint,
                 "pages": list(f.pages())}
                for f in self.forms
            ],
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
                    "form": p.form,
                    "code": self.code_text(p.template.page),
                    "boxes": [
                        {"candidate": cand.stt, "level": level, **_rect_json(box)}
                        for cand, row in zip(p.candidates, p.template.rows, strict=True)
                        for level, box in zip(self.levels, row.boxes, strict=True)
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
        raise CampaignError(key="layout_unknown", name=name) from None
    return yaml.safe_load(text)


def build_layout(campaign: Campaign) -> BallotLayout:
    """Place every candidate of ``campaign`` on a page and row of its template."""
    spec = load_template(campaign.layout)
    frame = _frame(spec)
    columns = _columns(spec["table"], campaign.levels)
    if not campaign.forms:
        pages = _place(campaign, spec, frame, columns, 1, None)
        fingerprint = _fingerprint(campaign, spec, len(pages))
        forms = (FormLayout(None, campaign.title, None, 1, len(pages), fingerprint),)
    else:
        pages, form_list = [], []
        for form in campaign.forms:
            view = campaign.form_view(form)
            placed = _place(view, spec, frame, columns, len(pages) + 1, form.id)
            form_list.append(FormLayout(form.id, form.title, form.paper, len(pages) + 1,
                                        len(placed), _fingerprint(view, spec, len(placed), form)))
            pages += placed
        forms = tuple(form_list)
        fingerprint = _digest({"campaign": campaign.id, "forms": [f.fingerprint for f in forms]})
    return BallotLayout(
        campaign_id=campaign.id,
        template_name=spec["name"],
        spec=spec,
        frame=frame,
        columns=columns,
        pages=tuple(pages),
        fingerprint=fingerprint,
        campaign=campaign,
        levels=campaign.levels,
        forms=forms,
    )


def _place(campaign: Campaign, spec: dict[str, Any], frame: PageFrame,
           columns: tuple[Column, ...], first: int, form: str | None) -> list[PageLayout]:
    """``campaign``'s people on pages numbered from ``first``, as many rows a page as fit."""
    tbl = spec["table"]
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
            page=first + len(pages),
            frame=frame,
            rows=rows,
            box_line_mm=float(tbl["box_line"]),
            writing_allowed=signature,
        )
        pages.append(PageLayout(template=template, candidates=tuple(on_page),
                                table_top=table_top, form=form))
    return pages


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


def _columns(tbl: dict[str, Any], levels: tuple[str, ...] = LEVELS) -> tuple[Column, ...]:
    """The table's columns; with fewer levels than the template's three, the position
    column takes the room of the boxes left out, so the table keeps its width."""
    widths = tbl["columns"]
    names = ["stt", "name", "position", *levels]
    spare = (len(LEVELS) - len(levels)) * float(widths["level"])
    x = float(tbl["x"])
    out = []
    for name in names:
        w = float(widths["level"] if name in levels else widths[name])
        if name == "position":
            w += spare
        out.append(Column(name, x, w))
        x += w
    return tuple(out)


def _row(index: int, y: float, h: float, columns: tuple[Column, ...], box: float) -> RowSpec:
    boxes = tuple(
        Rect(c.x + (c.w - box) / 2, y + (h - box) / 2, box, box)
        for c in columns[3:]
    )
    band = Rect(columns[0].x, y, columns[-1].x + columns[-1].w - columns[0].x, h)
    return RowSpec(row=index, boxes=boxes, band=band)


def _signature(spec: dict[str, Any]) -> tuple[Rect, ...]:
    s = spec.get("signature")
    if not s:
        return ()
    return (Rect(float(s["x"]), float(s["y"]), float(s["w"]), float(s["h"])),)


def _fingerprint(campaign: Campaign, spec: dict[str, Any], page_count: int,
                 form: Form | None = None) -> str:
    material: dict[str, Any] = {
        "campaign": campaign.id,
        "template": spec,
        "pages": page_count,
        "signature": campaign.rules.signature_allowed,
        "candidates": [[c.stt, c.name, c.position] for c in campaign.candidates],
    }
    if campaign.kind != KIND_POLL:  # a poll's fingerprint stays what it always was
        material["kind"] = campaign.kind
        material["levels"] = list(campaign.levels)
    if form is not None:
        material["form"] = [form.id, form.title, form.paper]
    return _digest(material)


def _digest(material: dict[str, Any]) -> str:
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
