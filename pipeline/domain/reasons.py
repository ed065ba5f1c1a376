"""The machine's reasons in Vietnamese, for the people who read them.

Why: every reason the reader gives (why a row goes to review, why a page is
refused: `omr.decide`, `omr.faults`, `omr.notes`, `omr.registration`,
`omr.code`, `omr.scoring`, `pipeline.reading.page`, `pipeline.reading.sources`,
`pipeline.workflow.ingest`) is made in English, and stays English where it is
stored (``page.reason``, ``row_reading.reason``, ``review_item.reason``)
and written out (``scan --jsonl``, ``tally --json``, exports): that text is
the audit record, one fixed wording whoever reads it, and `omr` stays free
of any language but numbers. A counting committee reads Vietnamese, so
where a reason is *shown* to a person in Vietnamese (the web station with
its default language) it goes through `to_vietnamese` first.

How: `GLOSSARY` below holds one entry per English template, the English
wording with ``{placeholders}`` beside the Vietnamese wording with the same
placeholders, in the order tried. A reason is matched whole against each
entry; its parts are rendered by kind (`_KINDS`): numbers with a decimal
comma, box and row lists in Vietnamese, corner names, and nested reasons
(``{reason}``) translated again, recursively. A reason made of several
joined with ``"; "`` (a page's doubts, a streak and a note on one row) is
cut at the ``"; "`` outside parentheses and each part translated, the
parts that belong to one template (which may hold a ``"; "`` of its own)
kept together. What no entry knows comes back unchanged, in English: this
function never raises.

To add a template: write the English exactly as the code's f-string makes
it, each variable part as a placeholder of a kind in `_KINDS` (a kind's
name with a digit after it for a second one of the same kind: ``{n}``,
``{n2}``), put it in `GLOSSARY` with its Vietnamese (NFC, formal, the
committee's words: "ô", "dòng", "dấu định vị", "bản quét"), before any
entry that would also match it, and add the code path that makes it to
``tests/test_reasons.py``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["GLOSSARY", "to_vietnamese"]

# -- the glossary -------------------------------------------------------------------------
# English template (as the code writes it)  ->  Vietnamese. Tried in order; first match wins.

GLOSSARY: tuple[tuple[str, str], ...] = (
    # -- a row's boxes: omr.decide.decide_row (box rule: ink and length) ------------------
    ("a straight line runs right through {boxes} from side to side ({mms} thick): a fold, "
     "a scanner streak or a ruler line, not a mark?",
     "một đường thẳng chạy suốt qua {boxes} từ cạnh này sang cạnh kia (dày {mms}): nếp gấp, "
     "vệt bẩn của máy quét hay đường kẻ thước, không phải dấu đánh?"),
    ("short mark in box {n} ({x} mm, {x2} mm²)",
     "vết mực ngắn trong ô {n} ({x} mm; {x2} mm²)"),
    ("faint mark in box {n} ({x} mm, {x2} mm²)",
     "vết mực mờ trong ô {n} ({x} mm; {x2} mm²)"),
    ("{doubt} and {reason}",
     "{doubt} và {reason}"),
    ("one clear mark (box {n}, {x} mm) and a {reason}",
     "một dấu rõ (ô {n}: {x} mm) và {reason}"),
    ("clear marks ({marks}) and a {reason}",
     "các dấu rõ ({marks}) và {reason}"),
    ("box {n} blacked out (fill {x}) beside a mark in {boxes}: a mark scribbled out?",
     "ô {n} bị tô kín (độ phủ {x}) cạnh dấu ở {boxes}: có thể là dấu đã gạch bỏ?"),
    ("clear marks in {boxes} ({mms})",
     "dấu rõ ở {boxes} ({mms})"),
    # -- the same, rows stored before ink and length were measured (fill rule) -------------
    ("faint mark in box {n} ({x})",
     "dấu mờ ở ô {n} (độ phủ {x})"),
    ("faint marks in {boxes} ({nums})",
     "dấu mờ ở {boxes} (độ phủ {nums})"),
    ("clear marks in {boxes} ({nums})",
     "dấu rõ ở {boxes} (độ phủ {nums})"),
    ("one clear mark (box {n}, {x}) and a {reason}",
     "một dấu rõ (ô {n}: độ phủ {x}) và {reason}"),
    ("one clear mark (box {n}, {x}) and {reason}",
     "một dấu rõ (ô {n}: độ phủ {x}) và {reason}"),
    ("clear marks in {boxes} ({nums}) and a {reason}",
     "dấu rõ ở {boxes} (độ phủ {nums}) và {reason}"),
    ("clear marks in {boxes} ({nums}) and {reason}",
     "dấu rõ ở {boxes} (độ phủ {nums}) và {reason}"),
    ("faint mark in box {n}",  # made-up readings in tests and demos
     "dấu mờ ở ô {n}"),
    # -- what a row was read as, after another reason: pipeline.reading.page --------------------
    ("{reason} (read as: {reason2})",
     "{reason} (máy đọc là: {reason2})"),
    ("{reason} (no box marked)",
     "{reason} (không ô nào được đánh dấu)"),
    ("vote", "đánh dấu một ô"),  # read as a vote (every other outcome gives its reason)
    # -- a review item stored without a reason: pipeline.store.store ----------------------------
    ("review", "cần xem xét"),
    ("rejected", "bị loại"),
    # -- faults on the scan: omr.faults, omr.notes, pipeline.reading.page ----------------------
    ("scanner streak: a straight dark line {x} mm wide {way} the whole scan at {axis} = {n} px"
     "{through}; clean the scanner glass and rescan",
     "vệt bẩn của máy quét: một đường tối thẳng rộng {x} mm {way} suốt bản quét tại "
     "{axis} = {n} px{through}; hãy lau sạch mặt kính máy quét rồi quét lại"),
    ("QR code crossed by the streak, named by comparison with the ballot's printed codes "
     "({n} of {n2} modules beside the streak alike)",
     "mã QR bị vệt bẩn cắt qua, được nhận ra bằng cách so với các mã in trên phiếu "
     "({n}/{n2} ô vuông nhỏ của mã bên cạnh vệt bẩn trùng khớp)"),
    ("scanner streak through {boxes}: a straight dark line down the whole scan, not a "
     "voter's mark; read the paper ballot",
     "vệt bẩn của máy quét cắt qua {boxes}: một đường tối thẳng chạy dọc suốt bản quét, "
     "không phải dấu của cử tri; cần xem trực tiếp phiếu giấy"),
    ("a line {x} mm long drawn through the printed text of row {n} (the candidate's name "
     "struck out?): read the paper ballot",
     "một đường kẻ dài {x} mm vắt qua phần chữ in của dòng {n} (tên in sẵn ở dòng {n} bị "
     "gạch?): cần xem trực tiếp phiếu giấy"),
    ("handwriting outside the boxes {where} ({x} x {x2} mm at x = {x3}, y = {x4} mm): a note, "
     "a sign, a name ringed?; read the paper ballot",
     "có chữ viết tay ngoài các ô {where} ({x} × {x2} mm, tại x = {x3}, y = {x4} mm): lời "
     "ghi chú, ký hiệu hay tên bị khoanh?; cần xem trực tiếp phiếu giấy"),
    # -- placing the page: omr.registration, omr.scoring ----------------------------------
    ("no registration marks and almost no ink ({pct} of the page): an empty sheet or the "
     "back of a page",
     "không có dấu định vị và gần như không có mực (mực chiếm {pct} trang): tờ giấy trắng "
     "hoặc mặt sau của một trang"),
    ("no registration marks found: not a kiemphieu ballot page (other ArUco ids seen: {text}) "
     "({pct} of the page is ink); if it is one, check that its corners are not cut off or "
     "covered and rescan",
     "không tìm thấy dấu định vị: đây không phải trang phiếu của kiemphieu (có mã ArUco "
     "khác: {text}) (mực chiếm {pct} trang); nếu đúng là phiếu, hãy kiểm tra các góc trang "
     "không bị cắt mất hay che khuất rồi quét lại"),
    ("no registration marks found: not a kiemphieu ballot page ({pct} of the page is ink); "
     "if it is one, check that its corners are not cut off or covered and rescan",
     "không tìm thấy dấu định vị: đây không phải trang phiếu của kiemphieu (mực chiếm {pct} "
     "trang); nếu đúng là phiếu, hãy kiểm tra các góc trang không bị cắt mất hay che khuất "
     "rồi quét lại"),
    ("no registration marks found",
     "không tìm thấy dấu định vị"),
    ("only {n} of 4 registration marks found ({corners}; missing {corners2}); at least 3 are "
     "needed: check for a folded, torn or covered corner and rescan",
     "chỉ tìm thấy {n} trong 4 dấu định vị ({corners}; thiếu {corners2}); cần ít nhất 3 dấu: "
     "hãy kiểm tra góc trang bị gấp, rách hay bị che rồi quét lại"),
    ("only 3 registration marks found ({corners}) and they do not fit a page lying flat "
     "({x} mm RMS); all 4 are needed to place a page seen in perspective: rescan the page flat",
     "chỉ tìm thấy 3 dấu định vị ({corners}) và chúng không khớp với một trang nằm phẳng "
     "({x} mm RMS); cần đủ 4 dấu để định vị một trang bị chụp nghiêng: hãy quét lại với "
     "trang đặt phẳng"),
    ("registration mark {corners} seen more than once: the image may hold two pages; scan one "
     "page per image",
     "dấu định vị {corners} xuất hiện nhiều lần: ảnh có thể chứa hai trang; mỗi ảnh chỉ quét "
     "một trang"),
    ("registration marks found ({corners}) do not form a page; rescan",
     "các dấu định vị tìm thấy ({corners}) không tạo thành một trang; hãy quét lại"),
    ("registration marks found ({corners}) but the page cannot be placed exactly: it is seen "
     "in perspective ({x} mm of perspective at the corners) and its QR code cannot be found "
     "to confirm the fit. Photograph the page flat and square, or scan it",
     "đã thấy dấu định vị ({corners}) nhưng không xác định được chính xác vị trí trang: trang "
     "bị chụp nghiêng (lệch phối cảnh {x} mm ở các góc) và không tìm thấy mã QR để xác nhận. "
     "Hãy chụp trang đặt phẳng và ngay ngắn, hoặc quét bằng máy quét"),
    ("registration marks found ({corners}) but the page cannot be placed exactly: {x} mm of "
     "perspective at the corners, and the QR code is {x2} mm from where that fit puts it "
     "(allowed {x3} mm): a mark out of place or a page not lying flat. Photograph the page "
     "flat on a table, or scan it",
     "đã thấy dấu định vị ({corners}) nhưng không xác định được chính xác vị trí trang: lệch "
     "phối cảnh {x} mm ở các góc, và mã QR cách vị trí tính được {x2} mm (cho phép {x3} mm): "
     "một dấu định vị bị lệch chỗ hoặc trang không nằm phẳng. Hãy chụp trang đặt phẳng trên "
     "bàn, hoặc quét bằng máy quét"),
    ("registration marks found ({corners}) but the page cannot be placed exactly: {reason}. "
     "Rescan the page flat and at 100% scale",
     "đã thấy dấu định vị ({corners}) nhưng không xác định được chính xác vị trí trang: "
     "{reason}. Hãy quét lại với trang đặt phẳng, tỉ lệ 100%"),
    ("the page appears mirrored",
     "trang bị lật như ảnh qua gương"),
    ("the marks are {x} mm (RMS) from where a flat page puts them (allowed {x2} mm)",
     "các dấu định vị lệch {x} mm (RMS) so với vị trí trên một trang phẳng (cho phép {x2} mm)"),
    ("the marks are not where a flat page puts them: {x} mm of perspective at the corners "
     "(allowed {x2} mm)",
     "các dấu định vị không nằm đúng vị trí trên một trang phẳng: lệch phối cảnh {x} mm ở "
     "các góc (cho phép {x2} mm)"),
    ("the page is stretched: {x} px/mm across and {x2} px/mm down (ratio {x3}, allowed {x4})",
     "trang bị kéo giãn: {x} px/mm theo chiều ngang và {x2} px/mm theo chiều dọc (tỉ lệ {x3}; "
     "cho phép {x4})"),
    ("the page's axes are {x}° off square",
     "các trục của trang lệch {x}° so với góc vuông"),
    ("strong perspective: scale varies {x}x across the page",
     "lệch phối cảnh mạnh: tỉ lệ thay đổi {x} lần trên mặt trang"),
    ("the page is too small in the image ({x} px/mm, need {x2}); scan at 150 dpi or more",
     "trang quá nhỏ trong ảnh ({x} px/mm; cần {x2}); hãy quét ở 150 dpi trở lên"),
    ("the printed box outlines are not where the registration marks put them ({n} of {n2} "
     "boxes, rows {rows}): a page not lying flat, folded or curled, or a mark out of place. "
     "Flatten the page and rescan it",
     "khung ô in sẵn không nằm đúng vị trí theo dấu định vị ({n} trên {n2} ô, ở dòng {rows}): "
     "trang không nằm phẳng, bị gấp hay quăn, hoặc một dấu định vị bị lệch chỗ. Hãy vuốt "
     "phẳng trang rồi quét lại"),
    # -- the page's code: omr.code, pipeline.reading.page ---------------------------------------
    ("{n} different codes where the page code should be; is a second page or sticker in the "
     "image? Rescan the page alone",
     "có {n} mã khác nhau ở chỗ của mã trang; ảnh có lẫn một trang khác hay nhãn dán? Hãy "
     "quét riêng từng trang"),
    ("the page was placed but its QR code (bottom left) cannot be read; check it for stains, "
     "folds or tears and rescan, at 300 dpi in grey if the scan was 1-bit",
     "đã định vị được trang nhưng không đọc được mã QR (góc dưới bên trái); hãy kiểm tra mã "
     "có bị bẩn, gấp hay rách không rồi quét lại, ở 300 dpi thang xám nếu bản quét là ảnh "
     "1 bit"),
    ("the QR code is not a kiemphieu ballot code ({text})",
     "mã QR không phải mã phiếu của kiemphieu ({text})"),
    ("ballot of another campaign: '{quoted}', this workspace counts '{quoted2}'; scan it into "
     "its own workspace",
     "phiếu của đợt lấy phiếu khác: '{quoted}', thư mục làm việc này kiểm phiếu đợt "
     "'{quoted2}'; hãy quét phiếu này vào thư mục làm việc của đợt đó"),
    ("printed from another version of campaign '{quoted}' (layout {token}, this workspace "
     "{token2}): not an issued ballot",
     "in từ một phiên bản khác của đợt lấy phiếu '{quoted}' (mẫu phiếu {token}, thư mục làm "
     "việc này {token2}): không phải phiếu đã phát hành"),
    ("page {n} does not exist on this ballot",
     "phiếu này không có trang {n}"),
    # -- the image: pipeline.reading.page -------------------------------------------------------
    ("the image data is damaged and cannot be decoded ({detail})",
     "dữ liệu ảnh bị hỏng, không giải mã được ({detail})"),
    ("the image data is damaged and cannot be decoded",
     "dữ liệu ảnh bị hỏng, không giải mã được"),
    ("the image is {n} x {n2} pixels: too small to be a scanned page (at least {n3} px a side; "
     "scan at 150 dpi or more)",
     "ảnh có {n} × {n2} điểm ảnh: quá nhỏ để là một trang quét (cần ít nhất {n3} px mỗi cạnh; "
     "hãy quét ở 150 dpi trở lên)"),
    # -- the same image again: pipeline.workflow.ingest ---------------------------------------------
    ("the same image was already scanned (stored page {n}); it is counted once",
     "ảnh này đã được quét trước đó (trang đã lưu số {n}); chỉ tính một lần"),
    ("{reason} (the same image was already scanned as page {n})",
     "{reason} (ảnh này đã được quét trước đó, là trang {n})"),
    # -- the file: pipeline.reading.sources --------------------------------------------------------
    ("the file is empty",
     "tệp rỗng, không có dữ liệu"),
    ("the file is {n} MiB, over the 1 GiB limit",
     "tệp có dung lượng {n} MiB, vượt giới hạn 1 GiB"),
    ("cannot read the file: {text}",
     "không đọc được tệp: {text}"),
    ("not an image or PDF that can be read (PNG, JPEG, TIFF, PDF)",
     "không phải tệp ảnh hay PDF đọc được (PNG, JPEG, TIFF, PDF)"),
    ("image format unknown is not accepted; scan to PNG, JPEG, TIFF or PDF",
     "không nhận định dạng ảnh không xác định; hãy quét ra PNG, JPEG, TIFF hoặc PDF"),
    ("image format {token} is not accepted; scan to PNG, JPEG, TIFF or PDF",
     "không nhận định dạng ảnh {token}; hãy quét ra PNG, JPEG, TIFF hoặc PDF"),
    ("animated {token} with {n} frames is not a scan",
     "ảnh động {token} gồm {n} khung hình, không phải bản quét"),
    ("TIFF cannot be opened: {detail}",
     "không mở được tệp TIFF: {detail}"),
    ("TIFF structure is damaged: {detail}",
     "cấu trúc tệp TIFF bị hỏng: {detail}"),
    ("TIFF is damaged: {detail}",
     "tệp TIFF bị hỏng: {detail}"),
    ("TIFF page {n} is damaged: {detail}",
     "trang {n} của tệp TIFF bị hỏng: {detail}"),
    ("TIFF is damaged after page {n}: {detail}",
     "tệp TIFF bị hỏng sau trang {n}: {detail}"),
    ("a strip runs past the end of the file",
     "một dải dữ liệu ảnh vượt quá cuối tệp"),
    ("TIFF tag type {n} is not copied",
     "không chép được thẻ TIFF kiểu {n}"),
    ("PDF cannot be opened: {detail}",
     "không mở được tệp PDF: {detail}"),
    ("PDF page {n} cannot be read: {detail}",
     "không đọc được trang {n} của tệp PDF: {detail}"),
    ("rendered page could not be encoded",
     "không mã hóa được trang đã dựng hình"),
    ("the image has no pixels ({n} x {n2})",
     "ảnh không có điểm ảnh nào ({n} × {n2})"),
    ("the image is {n} x {n2} pixels ({n3} MP), over the {n4} MP limit: scan at 600 dpi or less",
     "ảnh có {n} × {n2} điểm ảnh ({n3} MP), vượt giới hạn {n4} MP: hãy quét ở 600 dpi trở "
     "xuống"),
    ("the image is {n} x {n2} pixels: not the shape of a page",
     "ảnh có {n} × {n2} điểm ảnh: không có hình dạng của một trang giấy"),
    # -- a file refused by the web station's upload: pipeline.web.app ---------------------
    ("not a scan file (PDF, TIFF, JPEG, PNG)",
     "không phải tệp quét (PDF, TIFF, JPEG, PNG)"),
    ("over the {n} MiB limit",
     "vượt giới hạn {n} MiB"),
    ("unsafe file name",
     "tên tệp không an toàn"),
    ("page {n} is {n2} x {n3} pixels, over the {n4} MP limit; scan at 600 dpi or less",
     "trang {n} có {n2} × {n3} điểm ảnh, vượt giới hạn {n4} MP; hãy quét ở 600 dpi trở xuống"),
    ("not a readable image ({detail})",
     "không phải ảnh đọc được ({detail})"),
)

# Where a note is (omr.notes `Note.where`): the ``{where}`` of the note's reason.
WHERE: tuple[tuple[str, str], ...] = (
    ("in row {n}, left of its boxes", "ở dòng {n}, bên trái các ô"),
    ("in row {n}, right of its boxes", "ở dòng {n}, bên phải các ô"),
    ("in row {n}, between its boxes", "ở dòng {n}, giữa các ô"),
    ("in the left margin beside row {n}", "ở lề trái, ngang dòng {n}"),
    ("in the right margin beside row {n}", "ở lề phải, ngang dòng {n}"),
    ("in the left margin above the table", "ở lề trái, phía trên bảng"),
    ("in the right margin above the table", "ở lề phải, phía trên bảng"),
    ("in the left margin below the table", "ở lề trái, phía dưới bảng"),
    ("in the right margin below the table", "ở lề phải, phía dưới bảng"),
    ("in the left margin", "ở lề trái"),
    ("in the right margin", "ở lề phải"),
    ("in the table", "trong bảng"),
    ("above the table", "phía trên bảng"),
    ("below the table", "phía dưới bảng"),
)

CORNERS = {
    "top_left": "góc trên bên trái",
    "top_right": "góc trên bên phải",
    "bottom_right": "góc dưới bên phải",
    "bottom_left": "góc dưới bên trái",
}

WAYS = {"down": "chạy dọc", "across": "chạy ngang"}

# -- placeholder kinds ------------------------------------------------------------------------

_NUM = r"-?\d+(?:\.\d+)?"
_INT = r"\d+"
_CORNER = r"(?:top_left|top_right|bottom_right|bottom_left|id \d+)"
_DOUBT = r"(?:short|faint) mark in box \d+ \(" + _NUM + r" mm, " + _NUM + r" mm²\)"


def _number(text: str) -> str:
    """``"2.10"`` -> ``"2,10"``: the decimal comma."""
    return text.replace(".", ",")


def _int_list(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def _boxes(text: str) -> str:
    """``"box 2"`` -> ``"ô 2"``; ``"boxes 1, 2 and 3"`` -> ``"các ô 1, 2 và 3"``."""
    n = _int_list(text)
    if len(n) == 1:
        return f"ô {n[0]}"
    return "các ô " + ", ".join(n[:-1]) + f" và {n[-1]}"


def _numbers(text: str) -> str:
    """``"0.310, 0.280"`` -> ``"0,310; 0,280"`` (a comma is the decimal mark now)."""
    return "; ".join(_number(v) for v in text.split(", "))


def _box_lengths(text: str) -> str:
    """``"box 1, 7.2 mm; box 3, 6.0 mm"`` -> ``"ô 1: 7,2 mm; ô 3: 6,0 mm"``."""
    return "; ".join(f"ô {b}: {_number(v)} mm"
                     for b, v in re.findall(r"box (\d+), (" + _NUM + r") mm", text))


def _corners(text: str) -> str:
    out = []
    for name in text.split(", "):
        out.append(CORNERS.get(name) or ("mã " + name[3:] if name.startswith("id ") else name))
    return ", ".join(out)


def _through(text: str) -> str:
    return f", cắt qua các ô của dòng {', '.join(_int_list(text))}" if text else ""


def _where(text: str) -> str | None:
    for pattern, vi in _compiled(WHERE):
        m = pattern.regex.fullmatch(text)
        if m:
            return pattern.render(m, vi)
    return None


@dataclass(frozen=True)
class _Kind:
    regex: str
    render: Callable[[str], str | None]
    # free text: must have balanced parentheses, or it has run on past its own ")"
    nested: bool = False


def _nested(text: str) -> str | None:
    """A reason inside a reason: translated in full, or the entry does not apply."""
    vi, unknown = _translate(text)
    return None if unknown else vi


def _detail(text: str) -> str:
    """An error's own words (a decoder's message): translated if known, else as they are."""
    vi, unknown = _translate(text)
    return text if unknown else vi


_KINDS: dict[str, _Kind] = {
    "n": _Kind(_INT, _number),  # a whole number
    "x": _Kind(_NUM, _number),  # a number, perhaps with decimals
    "pct": _Kind(_NUM + "%", _number),  # "0.12%"
    "nums": _Kind(_NUM + "(?:, " + _NUM + ")*", _numbers),  # "0.310, 0.280"
    "mms": _Kind(_NUM + " mm(?:, " + _NUM + " mm)*", _numbers),  # "7.2 mm, 6.0 mm"
    "boxes": _Kind(r"box \d+|boxes \d+(?:, \d+)* and \d+", _boxes),
    "rows": _Kind(r"\d+(?:, \d+)*", lambda t: t),
    "marks": _Kind(r"box \d+, " + _NUM + r" mm(?:; box \d+, " + _NUM + r" mm)*", _box_lengths),
    "corners": _Kind(_CORNER + "(?:, " + _CORNER + ")*", _corners),
    "way": _Kind("down|across", WAYS.get),
    "axis": _Kind("x|y", lambda t: t),
    "through": _Kind(r"(?:, through the boxes of rows? \d+(?:, \d+)*)?", _through),
    "where": _Kind(r".+?", _where, nested=True),
    "doubt": _Kind(_DOUBT, _nested),
    "reason": _Kind(r".+?", _nested, nested=True),  # another reason, translated too
    "detail": _Kind(r".*?", _detail, nested=True),  # an error's message, translated if known
    "text": _Kind(r".+?", lambda t: t, nested=True),  # kept as it is (an OS's message, a code)
    "quoted": _Kind(r"[^']*", lambda t: t),  # a campaign's id, kept
    "token": _Kind(r"\S+", lambda t: t),  # a fingerprint, a format's name, kept
}

_PLACEHOLDER = re.compile(r"\{([a-z]+)(\d*)\}")


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    kinds: dict[str, _Kind]

    def render(self, m: re.Match[str], vi: str) -> str | None:
        values: dict[str, str] = {}
        for group, kind in self.kinds.items():
            text = m.group(group)
            if kind.nested and not _balanced(text):
                return None
            out = kind.render(text)
            if out is None:
                return None
            values[group] = out
        return _PLACEHOLDER.sub(lambda p: values[p.group(1) + p.group(2)], vi)


def _compile(english: str) -> _Pattern:
    parts, kinds, at = [], {}, 0
    for p in _PLACEHOLDER.finditer(english):
        kind = _KINDS[p.group(1)]
        name = p.group(1) + p.group(2)
        parts.append(re.escape(english[at:p.start()]))
        parts.append(f"(?P<{name}>{kind.regex})")
        kinds[name] = kind
        at = p.end()
    parts.append(re.escape(english[at:]))
    return _Pattern(re.compile("".join(parts), re.DOTALL), kinds)


@lru_cache(maxsize=4)
def _compiled(table: tuple[tuple[str, str], ...]) -> tuple[tuple[_Pattern, str], ...]:
    for english, vi in table:
        assert unicodedata.is_normalized("NFC", vi), english
        assert set(_PLACEHOLDER.findall(vi)) <= set(_PLACEHOLDER.findall(english)), english
    return tuple((_compile(english), vi) for english, vi in table)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if depth < 0:
            return False
    return depth == 0


# -- translating ------------------------------------------------------------------------------

def to_vietnamese(reason: str) -> str:
    """``reason``, as the code writes it in English, in Vietnamese.

    Parts no template knows stay in English; text no template knows at all
    comes back unchanged. Never raises.
    """
    if not isinstance(reason, str) or not reason:
        return reason
    try:
        vi = _translate(reason)[0]
    except Exception:  # a translation must never stop a page from being shown
        return reason
    return unicodedata.normalize("NFC", vi) if vi != reason else reason


@lru_cache(maxsize=4096)
def _translate(text: str) -> tuple[str, int]:
    """(Vietnamese, how many parts stayed English) for one reason, perhaps joined by "; "."""
    whole = _whole(text)
    if whole is not None:
        return whole, 0
    parts = _split(text)
    if len(parts) == 1:
        return text, 1
    # consecutive parts grouped so that the fewest stay English, then into the fewest groups
    # (one template may hold a "; " of its own); best[i]: (English, groups, text) of parts[i:]
    n = len(parts)
    best: list[tuple[int, int, list[str]]] = [(0, 0, [])] * (n + 1)
    for i in range(n - 1, -1, -1):
        choices = []
        for j in range(i + 1, n + 1):
            group = "; ".join(parts[i:j])
            vi = _whole(group)
            english, groups, rest = best[j]
            if vi is not None:
                choices.append((english, groups + 1, [vi, *rest]))
            elif j == i + 1:  # a part no template knows: as it is
                choices.append((english + 1, groups + 1, [group, *rest]))
        best[i] = min(choices, key=lambda c: c[:2])
    unknown, _, out = best[0]
    return "; ".join(out), unknown


def _whole(text: str) -> str | None:
    """``text`` as one template's Vietnamese, or None."""
    for pattern, vi in _compiled(GLOSSARY):
        m = pattern.regex.fullmatch(text)
        if m:
            out = pattern.render(m, vi)
            if out is not None:
                return out
    return None


def _split(text: str) -> list[str]:
    """``text`` cut at each ``"; "`` outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == ";" and depth == 0 and text.startswith("; ", i):
            parts.append(text[start:i])
            start = i + 2
            i += 1
        i += 1
    parts.append(text[start:])
    return parts
