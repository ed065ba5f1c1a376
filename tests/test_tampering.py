"""An insider with the files tries to change a certified count: each attempt is caught
against the paper minutes.

A unit counts 8 ballots through the real CLI: the chair resolves every review
item with a reason, declares one sheet an invalid ballot, the committee
declares its count and certifies, and the package is exported. What the
committee signs is the minutes: the test reads the certificate's digest and
the key's fingerprint from the PDF's text, as a person would copy them.

Then, on copies of the workspace and the package, the adversary of issue 20
tries every variant: the certification record deleted and the count certified
again (with and without the history); a decision changed, with and without
certifying again; ``tally.json`` or the decision log edited inside the package,
re-signed with the workspace's own key; the package re-signed with another
key; ``WS/keys`` deleted before export. Each is caught by ``verify``,
``retally`` or ``aggregate`` given what the minutes print.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from sqlalchemy import create_engine, text
from station_cases import CHAIR_PASSWORD, FAST, KIEMPHIEU, SAMPLE, as_chair, new_workspace

from pipeline.domain import certificate
from pipeline.domain.campaign import load_campaign
from pipeline.domain.committee import Person
from pipeline.domain.layout import build_layout
from pipeline.store.keys import key_fingerprint, public_pem
from pipeline.store.workspace import open_workspace
from pipeline.workflow.review import queue_for
from simulator import VoteMix, VoteModel, simulate_stack, write_case

BALLOTS = 8
PASSWORD = CHAIR_PASSWORD
CAMPAIGN = "ubnd-ninhson-2023"
run = as_chair


class Unit:
    """The certified unit: its workspace, its package, and what its signed minutes print."""

    def __init__(self, ws: Path, pkg: Path) -> None:
        self.ws, self.pkg = ws, pkg
        self.digest_printed, self.key_printed = printed_codes(pkg / "bien-ban-kiem-phieu.pdf")
        self.digest = certificate.parse_hex64(self.digest_printed, "digest")
        self.key = certificate.parse_hex64(self.key_printed, "key")


def printed_codes(pdf_path: Path) -> tuple[str, str]:
    """The digest and the fingerprint as the minutes print them (groups, two lines each)."""
    pdf = pdfium.PdfDocument(str(pdf_path))
    text_ = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    codes = {}
    for label in ("Mã xác nhận kết quả:", "Mã khóa kiểm chứng:"):
        after = text_[text_.index(label) + len(label):]
        match = re.match(r"\s*((?:[0-9a-f]{4}\s+){15}[0-9a-f]{4})", after)
        assert match, after[:200]
        codes[label] = match.group(1)
    return codes["Mã xác nhận kết quả:"], codes["Mã khóa kiểm chứng:"]


@pytest.fixture(scope="module")
def unit(tmp_path_factory: pytest.TempPathFactory) -> Unit:
    root = tmp_path_factory.mktemp("unit")
    ws = new_workspace(root / "ws")
    campaign = load_campaign(SAMPLE)
    stack = simulate_stack(campaign, build_layout(campaign), BALLOTS, np.random.default_rng(21),
                           profile=FAST, vote_model=VoteModel(mix=VoteMix(review=0.15)))
    scans = root / "scans"
    write_case(scans, stack, ["png"])
    (scans / "truth.json").unlink()
    run("scan", str(ws), str(scans))
    subprocess.run([KIEMPHIEU, "user", "add", "chu_tich", "--role", "chair", "--ws", str(ws),
                    "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                   capture_output=True)
    workspace = open_workspace(ws)
    queue = queue_for(workspace)
    chair = Person("chu_tich", "chair")
    decided = 0
    for item in queue.items(("open", "escalated")):
        value = "high" if item.kind == "row" else \
            "rejected" if item.page_status == "rejected" else "accepted"
        queue.decide(chair, item.id, value, "đã xem phiếu giấy")
        decided += 1
    assert decided >= 1  # the decision log has review decisions in it
    sheet = next(p["id"] for p in workspace.store.all_pages() if p["status"] == "accepted")
    run("page", str(ws), str(sheet), "invalid", "--reason", "không có dấu", "--as", "chu_tich")
    run("declare", str(ws), "--issued", str(BALLOTS), "--collected", str(BALLOTS),
        "--head", "Nguyễn Văn Trưởng", "--member", "Lê Thị Thư|Thư ký")
    run("certify", str(ws))
    pkg = root / "pkg"
    run("export", str(ws), "--out", str(pkg))
    return Unit(ws, pkg)


def sql(ws: Path, *statements: str) -> None:
    engine = create_engine(f"sqlite:///{ws / 'kiemphieu.db'}")
    with engine.begin() as conn:
        for s in statements:
            conn.execute(text(s))
    engine.dispose()


def copy_ws(unit: Unit, tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    shutil.copytree(unit.ws, ws)
    return ws


UNLOCK = ("DELETE FROM certification", "UPDATE campaign SET certified_at = NULL")


def resign_manifest(pkg: Path, key) -> None:
    """What an insider holding a key does after editing a package: hash every file again,
    and sign the manifest again."""
    manifest = json.loads((pkg / "manifest.json").read_text("utf-8"))
    for e in manifest["files"]:
        data = (pkg / e["path"]).read_bytes()
        e["sha256"], e["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    manifest["key"]["sha256"] = key_fingerprint(key.public_key())
    data = (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode()
    (pkg / "manifest.json").write_bytes(data)
    (pkg / "manifest.sig").write_bytes(base64.b64encode(key.sign(data)) + b"\n")
    (pkg / "public-key.pem").write_bytes(public_pem(key))


def workspace_key(ws: Path):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(
        (ws / "keys" / "workspace-ed25519.pem").read_bytes(), password=None)


def forge_certificate(pkg: Path, key, change) -> None:
    """The whole insider forgery: change the certified records, digest and sign them again
    with ``key``, write tally.json to agree, re-sign the manifest."""
    doc = json.loads((pkg / "certificate.json").read_text("utf-8"))
    change(doc["body"])
    doc["body"]["key_sha256"] = key_fingerprint(key.public_key())
    doc["digest"] = certificate.digest(doc["body"])
    doc["signature"] = base64.b64encode(key.sign(certificate.signed_message(doc["digest"]))).decode()
    doc["history"][-1].update(digest=doc["digest"], signature=doc["signature"],
                              key_sha256=doc["body"]["key_sha256"])
    (pkg / "certificate.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    tally = json.loads((pkg / "tally.json").read_text("utf-8"))
    tally["certification"]["digest"] = doc["digest"]
    tally["key_sha256"] = doc["body"]["key_sha256"]
    tally["decisions"] = [{"page_sha256": i["page_sha256"], "candidate": i["candidate"],
                           "state": i["state"], "resolution": i["resolution"]}
                          for i in doc["body"]["review_items"]]
    for c, t in zip(tally["candidates"], doc["body"]["tally"]["candidates"], strict=True):
        c.update(t)
    (pkg / "tally.json").write_text(json.dumps(tally, ensure_ascii=False, indent=1) + "\n",
                                    encoding="utf-8")
    resign_manifest(pkg, key)


def pinned(unit: Unit) -> tuple[str, ...]:
    """The options that give the minutes' key and digest, copied exactly as printed."""
    return ("--key", unit.key_printed, "--digest", unit.digest_printed)


# -- the paper pins the package -----------------------------------------------------------


def test_the_minutes_print_key_and_digest_in_full_and_verify_takes_them_as_printed(unit) -> None:
    assert "\n" in unit.key_printed or "\r" in unit.key_printed  # two lines, as on the paper
    doc = json.loads((unit.pkg / "certificate.json").read_text("utf-8"))
    assert unit.digest == doc["digest"] == certificate.digest(doc["body"])
    assert unit.key == doc["body"]["key_sha256"] == key_fingerprint(workspace_key(unit.ws).public_key())
    ok = run("verify", str(unit.pkg), *pinned(unit))
    assert "OK" in ok.stdout and "key and digest are those of the minutes" in ok.stdout
    upper = run("verify", str(unit.pkg), "--key", unit.key_printed.upper(),
                "--digest", " ".join(unit.digest_printed.split()))
    assert "OK" in upper.stdout
    import docx

    words = "\n".join(p.text for p in docx.Document(str(unit.pkg / "bien-ban-kiem-phieu.docx"))
                      .paragraphs)
    assert certificate.grouped(unit.digest, 8).split("\n")[0] in words
    assert certificate.grouped(unit.key, 8).split("\n")[1] in words


def test_the_package_carries_the_decision_log_and_the_history(unit) -> None:
    doc = json.loads((unit.pkg / "certificate.json").read_text("utf-8"))
    body = doc["body"]
    review = body["review_decisions"]
    assert review and all(d["reviewer"] == "chu_tich" and d["role"] == "chair" and d["at"]
                          and d["reason"] == "đã xem phiếu giấy" for d in review)
    assert [(d["decision"], d["reason"], d["by"]) for d in body["page_decisions"]] == [
        ("invalid", "không có dấu", "chu_tich")]
    assert body["declarations"][-1]["collected"] == BALLOTS and body["declaration"]["head"]
    assert [h["number"] for h in doc["history"]] == [1] and doc["history"][0]["previous"] is None
    tally = json.loads((unit.pkg / "tally.json").read_text("utf-8"))
    assert tally["certification"]["digest"] == doc["digest"]
    assert tally["certification"]["number"] == 1


def test_an_empty_or_malformed_key_or_digest_is_refused(unit, tmp_path: Path) -> None:
    for args in (("--key", ""), ("--key", "   "), ("--digest", ""), ("--key", unit.key[:32]),
                 ("--key", unit.key[:-1] + "g")):
        proc = run("verify", str(unit.pkg), *args, check=False)
        assert proc.returncode == 2, args
        assert "--key" in proc.stderr or "--digest" in proc.stderr, proc.stderr
    proc = run("aggregate", str(unit.pkg), "--key", "", "--out", str(tmp_path / "o"), check=False)
    assert proc.returncode == 2 and "empty" in proc.stderr


# -- the certification record deleted, the count certified again ---------------------------


def test_deleting_the_certification_and_certifying_again_shows_and_fails_the_minutes(
        unit, tmp_path: Path) -> None:
    ws = copy_ws(unit, tmp_path)
    sql(ws, *UNLOCK)
    again = run("certify", str(ws))
    assert "Certificate no. 2" in again.stdout and "RE-CERTIFIED" in again.stderr
    pkg = tmp_path / "pkg2"
    run("export", str(ws), "--out", str(pkg))
    alone = run("verify", str(pkg))
    assert alone.returncode == 0 and "RE-CERTIFIED" in alone.stderr
    assert unit.digest[:4] in alone.stderr  # the first certificate is named
    pdf = pdfium.PdfDocument(str(pkg / "bien-ban-kiem-phieu.pdf"))
    text_ = " ".join(" ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
                     .split())
    assert "lần xác nhận thứ 2" in text_
    paper = run("verify", str(pkg), *pinned(unit), check=False)
    assert paper.returncode == 1 and "not the printed digest" in paper.stderr
    audit = run("retally", str(pkg), *pinned(unit), check=False)
    assert audit.returncode == 1 and "does not verify" in audit.stderr
    audit_ws = run("retally", str(ws), *pinned(unit), check=False)
    assert audit_ws.returncode == 1 and "not the count the committee signed" in audit_ws.stderr
    keys = tmp_path / "keys.txt"  # the unit's key and digest, copied from its minutes
    keys.write_text(f"{CAMPAIGN} {' '.join(unit.key_printed.split())}  "
                    f"{' '.join(unit.digest_printed.split())}\n", encoding="utf-8")
    rolled = run("aggregate", str(pkg), "--keys", str(keys), "--out", str(tmp_path / "o"),
                 check=False)
    assert rolled.returncode == 1 and "certified again" in rolled.stderr
    assert not (tmp_path / "o").exists()


def test_deleting_the_history_too_still_fails_the_minutes(unit, tmp_path: Path) -> None:
    ws = copy_ws(unit, tmp_path)
    sql(ws, *UNLOCK, "DELETE FROM certification_history")
    assert "Certificate no. 1" in run("certify", str(ws)).stdout
    pkg = tmp_path / "pkg2"
    run("export", str(ws), "--out", str(pkg))
    assert run("verify", str(pkg), "--key", unit.key_printed).returncode == 0
    paper = run("verify", str(pkg), *pinned(unit), check=False)
    assert paper.returncode == 1 and "not the printed digest" in paper.stderr


# -- a decision changed ---------------------------------------------------------------------


def _change_a_decision(ws: Path) -> None:
    """A resolved row decided 'high' becomes 'low', in the item and in its log line."""
    sql(ws,
        "UPDATE decision SET value = 'low' WHERE id = (SELECT min(d.id) FROM decision d JOIN "
        "review_item i ON i.id = d.item_id WHERE i.kind = 'row')",
        "UPDATE review_item SET resolution = 'low' WHERE id = (SELECT d.item_id FROM decision d "
        "JOIN review_item i ON i.id = d.item_id WHERE i.kind = 'row' ORDER BY d.id LIMIT 1)")


def test_a_decision_changed_after_certification_blocks_export_and_shows_in_retally(
        unit, tmp_path: Path) -> None:
    ws = copy_ws(unit, tmp_path)
    _change_a_decision(ws)
    refused = run("export", str(ws), "--out", str(tmp_path / "pkg2"), check=False)
    assert refused.returncode == 1 and "no longer those certified" in refused.stderr
    assert not (tmp_path / "pkg2").exists()
    audit = run("retally", str(ws), check=False)
    assert audit.returncode == 1 and "the records are not those certified" in audit.stderr


def test_a_decision_changed_and_certified_again_fails_the_minutes(unit, tmp_path: Path) -> None:
    ws = copy_ws(unit, tmp_path)
    _change_a_decision(ws)
    sql(ws, *UNLOCK, "DELETE FROM certification_history")
    run("certify", str(ws))
    pkg = tmp_path / "pkg2"
    run("export", str(ws), "--out", str(pkg))
    assert run("verify", str(pkg)).returncode == 0  # a consistent package...
    for command in ("verify", "retally"):
        proc = run(command, str(pkg), *pinned(unit), check=False)
        assert proc.returncode == 1 and "not the printed digest" in proc.stderr, command
    proc = run("retally", str(ws), *pinned(unit), check=False)
    assert proc.returncode == 1 and "not the count the committee signed" in proc.stderr


def test_a_resolution_written_around_its_decision_log_shows_in_retally(unit, tmp_path: Path) -> None:
    """Written into the records before certification, bypassing the decision log: the
    certificate is consistent with it, but the log does not give it."""
    ws = copy_ws(unit, tmp_path)
    sql(ws, *UNLOCK, "DELETE FROM certification_history",
        "UPDATE review_item SET resolution = 'low' WHERE id = (SELECT min(id) FROM review_item "
        "WHERE kind = 'row' AND resolution = 'high')")
    run("certify", str(ws))
    pkg = tmp_path / "pkg2"
    run("export", str(ws), "--out", str(pkg))
    assert run("verify", str(pkg)).returncode == 0
    for source in (ws, pkg):
        proc = run("retally", str(source), check=False)
        assert proc.returncode == 1 and "changed without a decision" in proc.stderr, source


# -- the package edited ---------------------------------------------------------------------


def test_tally_json_edited_and_resigned_with_the_workspace_key_is_caught(unit, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(unit.pkg, pkg)
    tally = json.loads((pkg / "tally.json").read_text("utf-8"))
    tally["candidates"][0]["counts"]["high"] += 1
    (pkg / "tally.json").write_text(json.dumps(tally, ensure_ascii=False, indent=1), "utf-8")
    plain = run("verify", str(pkg), check=False)
    assert plain.returncode == 1 and "tally.json: changed" in plain.stderr
    resign_manifest(pkg, workspace_key(unit.ws))
    proc = run("verify", str(pkg), check=False)
    assert proc.returncode == 1
    assert "tally.json: disagrees: 'candidates' is not what the certificate says" in proc.stderr
    assert run("retally", str(pkg), check=False).returncode == 1
    rolled = run("aggregate", str(pkg), "--key", unit.key_printed, "--out", str(tmp_path / "o"),
                 check=False)
    assert rolled.returncode == 1 and "does not verify" in rolled.stderr


def test_the_decision_log_edited_in_the_package_is_caught(unit, tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    shutil.copytree(unit.pkg, pkg)
    doc = json.loads((pkg / "certificate.json").read_text("utf-8"))
    doc["body"]["review_decisions"][0]["reason"] = "theo chỉ đạo"
    (pkg / "certificate.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), "utf-8")
    resign_manifest(pkg, workspace_key(unit.ws))
    proc = run("verify", str(pkg), check=False)
    assert proc.returncode == 1 and "certificate.json: bad certificate" in proc.stderr
    assert "they were changed" in proc.stderr


def test_the_whole_record_forged_with_the_workspace_key_fails_the_minutes(unit, tmp_path: Path) -> None:
    """An insider with the key rewrites a decision, the tally, the digest and every
    signature: the package is consistent, and only the paper tells."""
    pkg = tmp_path / "pkg"
    shutil.copytree(unit.pkg, pkg)

    def change(body: dict) -> None:
        body["review_decisions"][0]["value"] = "low"
        body["tally"]["candidates"][0]["counts"]["high"] -= 1
        body["tally"]["candidates"][0]["counts"]["low"] += 1

    forge_certificate(pkg, workspace_key(unit.ws), change)
    assert run("verify", str(pkg), "--key", unit.key_printed).returncode == 0
    for command in ("verify", "retally"):
        proc = run(command, str(pkg), *pinned(unit), check=False)
        assert proc.returncode == 1 and "not the printed digest" in proc.stderr, command


# -- another key ------------------------------------------------------------------------------


def test_a_package_resigned_with_another_key_is_refused_against_the_minutes(
        unit, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pkg = tmp_path / "pkg"
    shutil.copytree(unit.pkg, pkg)
    other = Ed25519PrivateKey.generate()
    forge_certificate(pkg, other, lambda body: None)
    alone = run("verify", str(pkg))
    assert alone.returncode == 0 and "without --key and --digest" in alone.stderr
    proc = run("verify", str(pkg), "--key", unit.key_printed, check=False)
    assert proc.returncode == 1 and "untrusted key" in proc.stderr
    assert run("retally", str(pkg), "--key", unit.key_printed, check=False).returncode == 1

    unpinned = run("aggregate", str(pkg), "--out", str(tmp_path / "a"), check=False)
    assert unpinned.returncode == 1 and "--trust-on-first-use" in unpinned.stderr
    assert not (tmp_path / "a").exists()
    for how in (("--key", unit.key_printed), ("--keys", str(_keys_file(tmp_path, unit)))):
        refused = run("aggregate", str(pkg), *how, "--out", str(tmp_path / "b"), check=False)
        assert refused.returncode == 1 and "signed by someone else" in refused.stderr, how
    taken = run("aggregate", str(pkg), "--trust-on-first-use", "--out", str(tmp_path / "c"))
    assert "taken on first use" in taken.stderr
    summary = json.loads((tmp_path / "c" / "tong-hop.json").read_text("utf-8"))
    assert summary["trusted_on_first_use"] == [
        {"campaign": CAMPAIGN, "key_sha256": key_fingerprint(other.public_key())}]
    assert summary["units"][0]["key_trust"] == "first_use"


def _keys_file(tmp_path: Path, unit: Unit) -> Path:
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# unit  fingerprint, as printed\n{CAMPAIGN}  {' '.join(unit.key_printed.split())}\n",
                    encoding="utf-8")
    return keys


def test_aggregate_pins_each_unit_to_the_key_of_its_minutes(unit, tmp_path: Path) -> None:
    out = tmp_path / "o"
    run("aggregate", str(unit.pkg), "--keys", str(_keys_file(tmp_path, unit)), "--out", str(out))
    summary = json.loads((out / "tong-hop.json").read_text("utf-8"))
    assert summary["units"][0]["key_trust"] == "pinned" and summary["trusted_on_first_use"] == []
    assert summary["units"][0]["certificate_digest"] == unit.digest
    two = run("aggregate", str(unit.pkg), "--key", unit.key, "--key", unit.key, "--out",
              str(tmp_path / "p"), check=False)
    assert two.returncode == 1 and "one --key per package" in two.stderr


# -- the key ----------------------------------------------------------------------------------


def test_export_never_makes_a_second_key(unit, tmp_path: Path) -> None:
    from pipeline.store.keys import make_key

    ws = copy_ws(unit, tmp_path)
    shutil.rmtree(ws / "keys")
    proc = run("export", str(ws), "--out", str(tmp_path / "pkg2"), check=False)
    assert proc.returncode == 1
    assert "workspace key is missing" in proc.stderr and "restore" in proc.stderr
    assert unit.key[:4] in proc.stderr  # says which key to restore
    assert not (ws / "keys").exists() and not (tmp_path / "pkg2").exists()
    # another key put in its place is refused
    make_key(ws)
    other = run("export", str(ws), "--out", str(tmp_path / "pkg3"), check=False)
    assert other.returncode == 1 and "not the key that signed" in other.stderr
    # nor does a certification made again take another key, or make one
    shutil.rmtree(ws / "keys")
    sql(ws, *UNLOCK)
    again = run("certify", str(ws), check=False)
    assert again.returncode == 1 and "workspace key is missing" in again.stderr
    assert not (ws / "keys").exists()
