"""Bad input, generated: damaged scans and campaign files never crash anything.

Hypothesis generates inputs from real ones: a voted ballot scanned as PNG,
JPEG, 1-bit and grey TIFF (two pages) and scanner PDFs (embedded JPEG, G4),
then truncated, bit-flipped, spliced with random bytes, given absurd pixel
dimensions (decompression bombs), or replaced by files that are not images;
campaign YAML is broken, cut, and filled with odd Unicode. What must hold:

- `pipeline.reading.sources.iter_pages` yields only pages and `SourceProblem`
  values (each with a reason), never raises; every page then goes through
  `pipeline.reading.page.read_scan`, which returns a `Reading`, never raises;
- `pipeline.domain.campaign.parse_campaign` returns a campaign or raises
  `CampaignError` naming the place, never anything else;
- ``kiemphieu scan`` over a folder of such files, with good pages among
  them, exits 0 without a traceback, writes one JSONL line per input page,
  and accepts the good pages.

In CI each property runs ``KIEMPHIEU_FUZZ_EXAMPLES`` examples (default 250).
The long run recorded in BENCHMARKS.md sets it to 2600 (10,400 inputs):
``KIEMPHIEU_FUZZ_EXAMPLES=2600 .venv/bin/pytest -q tests/test_fuzz.py -s``.
"""

from __future__ import annotations

import json
import os
import re
import struct
import zlib
from collections import Counter
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omr_pages import read_layout
from station_cases import KIEMPHIEU, SAMPLE, kiemphieu, new_workspace

from pipeline.documents.ballot_pdf import ballot_pdf_bytes
from pipeline.domain.campaign import load_campaign, parse_campaign
from pipeline.domain.errors import CampaignError, KiemphieuError
from pipeline.domain.layout import build_layout
from pipeline.reading.page import Reading, read_scan
from pipeline.reading.sources import ScanPage, SourceProblem, iter_pages
from simulator import render_pages, write_stack

# damaged files make Pillow warn as well as fail; the failure is what is checked
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
EXAMPLES = int(os.environ.get("KIEMPHIEU_FUZZ_EXAMPLES", "250"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=EXAMPLES <= 250,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
DPI = 100  # small pages: the property is about robustness, not recognition
STATUSES = {"accepted", "rejected", "blank_page"}
TRIED: Counter[str] = Counter()  # inputs generated, by property (printed with -s)

NOT_IMAGES = [b"", b"PK\x03\x04", b"GIF89a", b"BM", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"<html>",
              b"\x7fELF", b"%PDF-1.7\n", b"II*\x00", b"MM\x00*", b"\x89PNG\r\n\x1a\n",
              b"\xff\xd8\xff\xe0", "Phiếu bầu\n".encode()]
HUGE = [0, 1, 7, 30_000, 65_535, 100_000, 2**31 - 1, 2**32 - 1]


@cache
def seeds() -> dict[str, bytes]:
    """Real scan files of a voted-looking ballot page (two pages for multi-page formats)."""
    campaign = load_campaign(SAMPLE)
    layout = build_layout(campaign)
    page = next(iter(render_pages(ballot_pdf_bytes(campaign, layout, copies=1), DPI)))
    page = page.copy()
    page[300:320, 500:560] = 40  # a mark-like smear
    out: dict[str, bytes] = {}
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for fmt, suffix in (("png", ".png"), ("jpeg", ".jpg"), ("tiff-g4", ".tif"),
                            ("tiff-grey", ".tif"), ("pdf-jpeg", ".pdf"), ("pdf-g4", ".pdf")):
            pages = [page] if fmt in ("png", "jpeg") else [page, np.rot90(page, 2).copy()]
            path = Path(tmp) / f"seed{suffix}"
            write_stack(pages, fmt, path, DPI)
            out[fmt] = path.read_bytes()
    return out


def png_with_size(data: bytes, w: int, h: int) -> bytes:
    """The PNG with its header claiming ``w`` x ``h`` pixels (CRC fixed, so readers believe it)."""
    ihdr = struct.pack(">II", w, h) + data[24:29]
    return data[:16] + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)) + data[33:]


def jpeg_with_size(data: bytes, w: int, h: int) -> bytes:
    m = re.search(rb"\xff[\xc0\xc1\xc2]", data)
    if m is None:
        return data
    i = m.start() + 5
    return data[:i] + struct.pack(">HH", min(h, 65535), min(w, 65535)) + data[i + 4:]


def tiff_with_size(w: int, h: int, compression: int = 4) -> bytes:
    """A one-page little-endian TIFF claiming ``w`` x ``h`` with a few bytes of strip data."""
    entries = [(256, 4, 1, w), (257, 4, 1, h), (258, 3, 1, 1), (259, 3, 1, compression),
               (262, 3, 1, 0), (273, 4, 1, 8), (278, 4, 1, h), (279, 4, 1, 16)]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", t, typ, n, v) for t, typ, n, v in entries) + b"\0\0\0\0"
    return b"II*\x00" + struct.pack("<I", 24) + b"\x00" * 16 + ifd


def pdf_with_size(data: bytes, w: int, h: int) -> bytes:
    data = re.sub(rb"/Width \d+", b"/Width %d" % w, data)
    data = re.sub(rb"/Height \d+", b"/Height %d" % h, data)
    return re.sub(rb"/MediaBox \[[^\]]*\]", b"/MediaBox [0 0 %d %d]" % (w, h), data)


@st.composite
def damaged_scans(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(sorted(seeds())))
    data = bytearray(seeds()[kind])
    how = draw(st.sampled_from(["truncate", "flip", "splice", "size", "not_image", "tiff_bomb"]))
    if how == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif how == "flip":
        for _ in range(draw(st.integers(1, 16))):
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
    elif how == "splice":
        at = draw(st.integers(0, len(data)))
        data[at:at + draw(st.integers(0, 256))] = draw(st.binary(max_size=256))
    elif how == "size":
        w, h = draw(st.sampled_from(HUGE)), draw(st.sampled_from(HUGE))
        patch = {"png": png_with_size, "jpeg": jpeg_with_size}.get(kind, pdf_with_size)
        if kind.startswith("tiff"):
            return kind, tiff_with_size(w, h)
        data = bytearray(patch(bytes(data), w, h))
    elif how == "not_image":
        data = bytearray(draw(st.sampled_from(NOT_IMAGES)) + draw(st.binary(max_size=512)))
    else:
        w, h = draw(st.sampled_from(HUGE)), draw(st.sampled_from(HUGE))
        data = bytearray(tiff_with_size(w, h, draw(st.sampled_from([1, 4, 5, 7, 8, 32773]))))
    return f"{kind}/{how}", bytes(data)


@pytest.fixture(scope="module")
def layout():
    campaign = load_campaign(SAMPLE)
    return campaign, read_layout(campaign)


def test_seeds_are_read_as_ballot_pages(layout) -> None:
    """The undamaged inputs are real pages: damage starts from something readable."""
    campaign, lay = layout
    for kind, data in seeds().items():
        pages = list(iter_pages([_write(data, kind)]))
        assert pages and all(isinstance(p, ScanPage) for p in pages), kind
        assert read_scan(pages[0].data, lay, campaign.thresholds).status == "accepted", kind


def _write(data: bytes, kind: str) -> Path:
    import tempfile

    suffix = {"png": ".png", "jpeg": ".jpg"}.get(kind.split("/")[0].split("-")[0], "")
    suffix = suffix or (".tif" if kind.startswith("tiff") else ".pdf")
    fd, name = tempfile.mkstemp(suffix=suffix, prefix="kiemphieu-fuzz-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(name)


@FUZZ
@given(case=damaged_scans())
def test_damaged_scan_files_give_pages_or_reasons_never_exceptions(layout, case) -> None:
    campaign, lay = layout
    kind, data = case
    TRIED["scan files"] += 1
    path = _write(data, kind)
    try:
        for item in iter_pages([path]):
            if isinstance(item, SourceProblem):
                assert item.reason, kind
                continue
            assert isinstance(item, ScanPage), kind
            reading = read_scan(item.data, lay, campaign.thresholds)
            assert isinstance(reading, Reading) and reading.status in STATUSES, kind
            if reading.status != "accepted":
                assert reading.reason, kind
    finally:
        path.unlink()


@FUZZ
@given(data=st.binary(max_size=4096) | st.builds(lambda c: c[1], damaged_scans()))
def test_read_scan_takes_any_bytes(layout, data: bytes) -> None:
    campaign, lay = layout
    TRIED["page bytes"] += 1
    reading = read_scan(data, lay, campaign.thresholds)
    assert reading.status in STATUSES and (reading.status == "accepted" or reading.reason)


# -- campaign files ------------------------------------------------------------------

SAMPLE_TEXT = SAMPLE.read_text("utf-8")
ODD = st.sampled_from([
    "\u0301", "\u0323\u0309", "\u200b", "\u200d", "\u202e", "\ufeff", "\u00a0", "\u2028", "\x00",
    "\x1b[31m", "\ud800", "𝔸", "👍🏽", "Nguyê\u0303n", "\t", "\r", "\r\n", ":", "- ", "{", "[",
    "&a", "*a", "!!python/object:os.system", "%YAML 1.1\n", "---\n", "...\n", "'", '"', "#",
    "9" * 40, "1e9", "-1", "0x1F", "2023-02-30", "~", "null", "yes", "ǅ", "İ", "ß", "ﬁ",
])


@st.composite
def damaged_campaigns(draw: st.DrawFn) -> str:
    text = SAMPLE_TEXT
    how = draw(st.sampled_from(["insert", "truncate", "drop_line", "replace_value", "random"]))
    if how == "random":
        return draw(st.text(max_size=400))
    for _ in range(draw(st.integers(1, 4))):
        if how == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(ODD | st.text(max_size=8)) + text[at:]
        elif how == "truncate":
            text = text[:draw(st.integers(0, len(text)))]
        elif how == "drop_line":
            lines = text.splitlines(keepends=True)
            del lines[draw(st.integers(0, len(lines) - 1))]
            text = "".join(lines)
        else:
            keys = re.findall(r"(?m)^(\w+):", text)
            key = draw(st.sampled_from(keys))
            value = draw(ODD | st.text(max_size=20))
            text = re.sub(rf"(?m)^{key}:.*$", lambda _m, k=key, v=value: f"{k}: {v}", text, count=1)
    return text


@FUZZ
@given(text=damaged_campaigns())
def test_damaged_campaign_text_is_refused_with_a_place_or_accepted(text: str) -> None:
    TRIED["campaign texts"] += 1
    try:
        campaign = parse_campaign(text, "fuzz.yaml")
    except CampaignError as exc:
        assert str(exc).startswith("fuzz.yaml"), str(exc)
        return
    try:
        build_layout(campaign)  # what `check` and `new` do next
    except KiemphieuError:
        pass


@FUZZ
@given(raw=st.binary(max_size=600) | st.builds(
    lambda t, enc: t.encode(enc, "surrogatepass" if enc.startswith("utf") else "replace"),
    damaged_campaigns(), st.sampled_from(["utf-8", "utf-16", "utf-8-sig", "cp1258", "latin-1"])))
def test_campaign_files_in_any_encoding_are_refused_or_read(tmp_path_factory, raw: bytes) -> None:
    TRIED["campaign files"] += 1
    path = tmp_path_factory.mktemp("c") / "campaign.yaml"
    try:
        path.write_bytes(raw)
    except ValueError:
        return
    try:
        load_campaign(path)
    except CampaignError as exc:
        assert str(path) in str(exc)


# -- the command line over a folder of bad files ---------------------------------------


def test_scan_of_a_folder_of_bad_files_among_good_ones(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    folder = tmp_path / "stack"
    folder.mkdir()
    rng = np.random.default_rng(5)
    s = seeds()
    files: dict[str, bytes] = {
        "00-good.png": s["png"], "01-good.tif": s["tiff-g4"],
        "02-truncated.jpg": s["jpeg"][: len(s["jpeg"]) // 3],
        "03-truncated.pdf": s["pdf-jpeg"][: len(s["pdf-jpeg"]) // 2],
        "04-second-page-cut.tif": s["tiff-grey"][: len(s["tiff-grey"]) * 3 // 4],
        "05-bomb.png": png_with_size(s["png"], 100_000, 100_000),
        "06-bomb.jpg": jpeg_with_size(s["jpeg"], 65_535, 65_535),
        "07-bomb.tif": tiff_with_size(2**31 - 1, 2**31 - 1),
        "08-bomb.pdf": pdf_with_size(s["pdf-g4"], 10**6, 10**6),
        "09-zero.png": png_with_size(s["png"], 0, 0),
        "10-not-an-image.png": b"<html>not a scan</html>",
        "11-empty.jpg": b"",
        "12-zip.pdf": b"PK\x03\x04" + bytes(rng.integers(0, 256, 300, dtype=np.uint8)),
        "13-noise.tif": b"II*\x00" + bytes(rng.integers(0, 256, 2000, dtype=np.uint8)),
        "14 phiếu\u0301 \u202etxt.png": s["png"][:-40],  # odd Unicode in the name too
        "15-flipped.jpg": bytes(b ^ 0x55 if 600 < i < 900 else b for i, b in enumerate(s["jpeg"])),
        "16-good.pdf": s["pdf-jpeg"],
        "17-jpeg-bomb-inside.pdf": jpeg_with_size(s["pdf-jpeg"], 30_000, 30_000),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    jsonl = tmp_path / "scan.jsonl"
    proc = kiemphieu("scan", str(ws), str(folder), "--jsonl", str(jsonl), check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    lines = [json.loads(x) for x in jsonl.read_text("utf-8").splitlines()]
    by_file: dict[str, list[dict]] = {}
    for line in lines:
        by_file.setdefault(Path(line["source"]).name, []).append(line)
    assert set(by_file) == set(files)  # every file answered for
    for name, answers in by_file.items():
        assert [a["page_index"] for a in answers] == sorted({a["page_index"] for a in answers})
        for a in answers:
            assert a["status"] in {"accepted", "rejected", "duplicate", "blank_page"}
            assert a["status"] == "accepted" or a["reason"], (name, a)
    good = [a["status"] for n in ("00-good.png", "01-good.tif", "16-good.pdf") for a in by_file[n]]
    # one page, then two pages (the second turned upside down): each encoding is its own image
    assert good == ["accepted"] * 5, good
    for bomb in ("05-bomb.png", "06-bomb.jpg", "07-bomb.tif", "08-bomb.pdf",
                 "17-jpeg-bomb-inside.pdf"):
        assert by_file[bomb][0]["status"] == "rejected", by_file[bomb]
    assert KIEMPHIEU


def test_report_how_many_inputs_were_generated() -> None:
    """Prints the number of generated inputs of this run (see BENCHMARKS.md)."""
    print(f"\nfuzz inputs generated: {sum(TRIED.values())} ({dict(TRIED)})")
