"""The parts of an administrative document, as values both renderers read.

A document (`Form`) is its heading (issuing body top-left, national or Party
heading top-right, number, place and date), then blocks in order: paragraphs
of a kind, tables (`Grid`), the results chart (`ChartBlock`), the integrity
codes (`Codes`), and the closing (`Closing`: signers with their roles and
the Nơi nhận list). `pipeline.documents.form_pdf` sets it in PDF and
`pipeline.documents.form_docx` in Word, so the two copies say the same thing.

Paragraph kinds: ``title`` (bold, centred, 14 pt), ``subtitle`` (bold,
centred), ``rule`` (a short centred line under the title), ``ground`` (the
italic "Căn cứ ..." lines), ``section`` (a bold heading, always on the page
of what follows), ``article`` (bold run "Điều 1." then text), ``body``
(justified, first line indented), ``item`` (a list line, indented),
``note`` (italic, smaller), ``strong`` (bold body text), ``center``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pipeline.documents.typography import party_committee, party_key, party_kind


@dataclass(frozen=True)
class Heading:
    """Top of page 1 (Nghị định 30/2020 or Hướng dẫn 36-HD/VPTW)."""

    parent: str | None  # the body above the issuer (regular), e.g. "HỘI ĐỒNG NHÂN DÂN ..."
    issuer: str  # the issuing body (bold), upper case
    number: str | None  # "Số:      /BB-BKP"
    place_date: str  # "Hà Nội, ngày 07 tháng 12 năm 2023"
    party: bool = False  # "ĐẢNG CỘNG SẢN VIỆT NAM" top-right instead of the national heading
    draft: bool = False  # "DỰ THẢO" in a box above the national heading


@dataclass(frozen=True)
class Text:
    text: str
    kind: str = "body"
    lead: str = ""  # bold words that open the paragraph ("Điều 1.")


@dataclass(frozen=True)
class Grid:
    """A table. ``header`` rows may span: ``spans`` are ((col0, row0), (col1, row1)) over
    the header and body rows together (row 0 = the first header row). ``bands`` are body
    row indices (0-based within ``rows``) that hold one label across the table (a group)."""

    header: tuple[tuple[str, ...], ...]
    rows: tuple[tuple[str, ...], ...]
    widths_mm: tuple[float, ...]
    align: str  # one letter a column: L, C or R
    spans: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()
    bands: frozenset[int] = frozenset()
    size: float = 10.0
    bold_cols: frozenset[int] = frozenset()


@dataclass(frozen=True)
class ChartBlock:
    """The results chart of a tally document (`pipeline.documents.chart`)."""

    doc: dict[str, Any]
    caption: str


@dataclass(frozen=True)
class Codes:
    """Hex codes an auditor types: (label, code in groups), set in a fixed-width face."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Signer:
    authority: tuple[str, ...]  # "TM. HỘI ĐỒNG NHÂN DÂN", "CHỦ TỊCH" (bold)
    name: str | None  # None: a line to write the name on
    hint: str = "(Ký, ghi rõ họ tên)"


@dataclass(frozen=True)
class Closing:
    """Signatures and Nơi nhận. One signer: Nơi nhận left, signer right (Nghị định 30).
    Several (a committee): signers two by two, then Nơi nhận."""

    signers: tuple[Signer, ...]
    recipients: tuple[str, ...] = ()
    keep_with: tuple[Any, ...] = ()  # blocks printed on the signatures' page


@dataclass(frozen=True)
class Form:
    title: str  # the file's title property
    heading: Heading
    blocks: tuple[Any, ...]
    closing: Closing
    author: str
    landscape: bool = False
    created: Any = None  # datetime for the documents' properties
    subject: str = ""
    keywords: tuple[str, ...] = field(default_factory=tuple)


#: Words naming the level of a body's place: its letters stop before them
#: ("Sở Nội vụ tỉnh Ninh Thuận" -> "SNV").
PLACE_LEVELS = ("tỉnh", "thành", "huyện", "quận", "thị", "xã", "phường", "thủ")


def initials(words: list[str]) -> str:
    """The letters of a document's number: 'Ủy ban nhân dân' -> 'UBND', 'Đảng ủy' -> 'ĐU'
    (capitals without their tone or vowel marks; Đ is a letter of its own)."""
    letters = unicodedata.normalize("NFD", "".join(w[0] for w in words).upper())
    return "".join(ch for ch in letters if not unicodedata.combining(ch))


def body_initials(body: str) -> str:
    """The letters of a body's documents' numbers: its name's initials up to its place
    ('Ủy ban nhân dân tỉnh Ninh Thuận' -> 'UBND', 'Sở Nội vụ' -> 'SNV')."""
    words = unicodedata.normalize("NFC", body).split()
    kept = []
    for w in words:
        if kept and w.lower() in PLACE_LEVELS:
            break
        kept.append(w)
    return initials(kept)


#: the letters of a Party collective's documents' numbers (Hướng dẫn 36-HD/VPTW: "Số
#: 12-BC/HU"), by the kind its name begins with, as they are commonly abbreviated
PARTY_LETTERS = (("ban cán sự đảng", "BCSĐ"), ("đảng đoàn", "ĐĐ"), ("đảng ủy", "ĐU"),
                 ("chi bộ", "CB"), ("tỉnh ủy", "TU"), ("thành ủy", "TU"), ("huyện ủy", "HU"),
                 ("quận ủy", "QU"), ("thị ủy", "TU"))


def party_initials(body: str) -> str:
    """The letters of a Party body's documents' numbers: its committee's ('Huyện ủy Ninh
    Sơn' and 'Ban Thường vụ Huyện ủy Ninh Sơn' -> 'HU', 'Tỉnh ủy', 'Thành ủy', 'Thị ủy' ->
    'TU', 'Quận ủy' -> 'QU', 'Đảng ủy …' and 'Đảng bộ xã …' -> 'ĐU', 'Đảng bộ huyện …' ->
    'HU'), or its kind's ('Chi bộ' -> 'CB', 'Đảng đoàn' -> 'ĐĐ', 'Ban cán sự đảng' ->
    'BCSĐ'). A board or office of a committee adds the committee's letters to its own
    initials ('Ban Tổ chức Tỉnh ủy' -> 'BTCTU', 'Văn phòng Huyện ủy' -> 'VPHU'); any other
    name, its first two words' initials."""
    name = " ".join(unicodedata.normalize("NFC", body).split())
    letters = party_kind(party_key(party_committee(name) or name), PARTY_LETTERS)
    if letters is not None:
        return letters
    words = name.split()
    for i in range(1, len(words)):
        letters = party_kind(party_key(" ".join(words[i:])), PARTY_LETTERS[2:])
        if letters is not None:
            return initials(words[:i]) + letters
    return initials(words[:2]) if words else "ĐU"
