"""A Party body's campaign names the body above it (``parent_body:``), or is warned.

Under Hướng dẫn 36-HD/VPTW a Party document's heading begins, top left, with
the superior body ("ĐẢNG BỘ TỈNH NINH THUẬN"), then the issuing body. The
report a Party campaign's package holds prints that line from the campaign
file's ``parent_body:``; without it the heading is incomplete, so the real
``kiemphieu check`` (and ``new``) warn, in Vietnamese and through the
catalogs, and still accept the file. A state body is not warned.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from certified_case import hanoi_case
from document_cases import package_info, party_report_doc
from station_cases import KIEMPHIEU, SAMPLE
from test_cli_vietnamese_errors import PLAIN_ENV, kiemphieu, vietnamese

from pipeline.documents.resolution import report_form
from pipeline.domain.campaign import parse_campaign

PARTY_BODY = "Đảng ủy Sở Nội vụ tỉnh Ninh Thuận"
PARENT = "Đảng bộ tỉnh Ninh Thuận"
STATE_TEXT = SAMPLE.read_text("utf-8")
PARTY_TEXT = STATE_TEXT.replace("body: Ủy ban nhân dân huyện Ninh Sơn", f"body: {PARTY_BODY}", 1)


def warning_of(path: Path) -> str:
    return (f"cảnh báo: {path}: '{PARTY_BODY}' là cơ quan của Đảng mà tệp không ghi cơ quan "
            "cấp trên ('parent_body:')")


def test_the_sample_is_what_the_cases_change() -> None:
    assert PARTY_TEXT != STATE_TEXT and "parent_body" not in STATE_TEXT


def test_a_party_body_without_its_superior_is_warned_of_in_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "dang-uy.yaml"
    path.write_text(PARTY_TEXT, "utf-8")
    for command in (("check", str(path)), ("new", str(path), "--dir", str(tmp_path / "ws"))):
        said = kiemphieu(*command, code=0)
        assert warning_of(path) in said, said
        assert "Hướng dẫn 36-HD/VPTW" in said and f"parent_body: {PARENT}" in said, said
        warned = "\n".join(line for line in said.splitlines() if line.startswith("cảnh báo"))
        assert warned.count("cảnh báo") == 1, said
        vietnamese(warned.replace("'parent_body:'", "").replace("parent_body:", ""), path)
    assert "Tốt: không có gì cần sửa." in kiemphieu("check", str(path), code=0)
    proc = subprocess.run([KIEMPHIEU, "--lang", "en", "check", str(path)], capture_output=True,
                          text=True, env=PLAIN_ENV)
    assert proc.returncode == 0, proc.stderr
    assert f"'{PARTY_BODY}' is a Party body but the file names no superior body " \
           "('parent_body:')" in proc.stderr, proc.stderr


@pytest.mark.parametrize("text", [
    PARTY_TEXT.replace("place:", f"parent_body: {PARENT}\nplace:", 1),
    STATE_TEXT,
], ids=["party-with-parent", "state-body"])
def test_no_warning_when_the_heading_is_complete_or_not_a_party_one(tmp_path: Path,
                                                                     text: str) -> None:
    path = tmp_path / "dot.yaml"
    path.write_text(text, "utf-8")
    said = kiemphieu("check", str(path), code=0)
    assert "cảnh báo" not in said, said  # neither this warning nor an unknown key's
    assert "Tốt: không có gì cần sửa." in said


def test_parent_body_is_read_carried_by_the_package_and_heads_the_party_report(
        tmp_path_factory) -> None:
    campaign = parse_campaign(PARTY_TEXT.replace(
        "place:", "parent_body: '  Đảng bộ   tỉnh Ninh Thuận '\nplace:", 1))
    assert campaign.parent_body == PARENT and not campaign.notes
    assert parse_campaign(PARTY_TEXT).parent_body is None
    # the certified Hà Nội package's records, made again from its certificate and campaign
    # file as export and verify make them: without the key as before, with it carried
    case = hanoi_case(tmp_path_factory)
    plain, info = package_info(case.pkg, "parent_body", PARENT)
    assert "parent_body" not in plain
    assert info["parent_body"] == PARENT
    doc = party_report_doc(json.loads((case.pkg / "tally.json").read_text("utf-8")), PARTY_BODY)
    assert "parent_body" not in doc["campaign_info"] and report_form(doc).heading.parent is None
    doc["campaign_info"]["parent_body"] = info["parent_body"]
    form = report_form(doc)
    assert form.heading.party and form.heading.parent == "ĐẢNG BỘ TỈNH NINH THUẬN"
