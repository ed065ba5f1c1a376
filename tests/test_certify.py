"""Declaring, reconciling and certifying a count: the committee's side of the flow.

The Hà Nội case (88 scanned ballots, `certified_case.hanoi_case`) goes through
the real CLI: certify before declaring is refused; a hand count of 89 against
88 scanned blocks certification, naming the page; the corrected count
certifies; afterwards scans, declarations and a second certification are
refused with the reason. The rule sets are checked at every threshold edge.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from certified_case import COMMITTEE, SAMPLES, hanoi_case, run, scanned_workspace

from pipeline.domain.campaign import parse_campaign
from pipeline.domain.rules import RULE_SETS, consequence, quorum_warning
from pipeline.domain.tally import tally_from_counts


@pytest.fixture(scope="module")
def hanoi(tmp_path_factory):
    return hanoi_case(tmp_path_factory)


def test_certify_is_refused_until_the_committee_declares(hanoi) -> None:
    proc = hanoi.steps["certify_undeclared"]
    assert proc.returncode == 1
    assert "not declared" in proc.stderr and "kiemphieu declare" in proc.stderr


def test_a_hand_count_that_differs_from_the_scans_blocks_certification(hanoi) -> None:
    declared = hanoi.steps["declare_mismatch"]
    assert "mismatch: 88 accepted scan(s), but the committee declared 89" in declared.stderr
    refused = hanoi.steps["certify_mismatch"]
    assert refused.returncode == 1
    assert "does not match the scans" in refused.stderr and "--note" in refused.stderr
    assert "matches the scans" in hanoi.steps["declare_match"].stdout


def test_certification_locks_the_count(hanoi) -> None:
    assert "Certified by Nguyễn Thị Trưởng Ban" in hanoi.steps["certify"].stdout
    for step in ("certify_again", "scan_after", "declare_after"):
        proc = hanoi.steps[step]
        assert proc.returncode == 1, step
        assert "certified" in proc.stderr and "locked" in proc.stderr, (step, proc.stderr)
    result = json.loads(hanoi.steps["tally_after"].stdout)
    assert result["certified"] is True
    assert result["ballots"]["issued"] == 90 and result["ballots"]["collected"] == 88


def test_golden_hanoi_figures_are_what_was_certified(hanoi) -> None:
    result = json.loads(hanoi.steps["tally_after"].stdout)
    first = result["candidates"][0]
    assert first["counts"] == {"high": 75, "medium": 8, "low": 4, "invalid": 1}
    assert first["percent"] == {"high": 85.23, "medium": 9.09, "low": 4.55}
    assert [c["consequence"] for c in result["candidates"]] == [
        None, None, "over_half_low", "over_half_low", "two_thirds_low"]


def test_certification_signs_a_certificate_into_the_history(hanoi) -> None:
    """One certificate, numbered 1, chained to nothing, over the records as they are, signed
    by the workspace key; the refused second certification left the history as it was."""
    import base64

    from pipeline.domain import certificate
    from pipeline.store.certificates import certified_body, history
    from pipeline.store.keys import load_key
    from pipeline.store.workspace import open_workspace

    ws = open_workspace(hanoi.ws)
    chain = history(ws.store)
    assert [(h["number"], h["previous"]) for h in chain] == [(1, None)]
    entry = chain[0]
    assert certificate.grouped(entry["digest"]) in hanoi.steps["certify"].stdout
    body = certified_body(ws, ws.store.certification(), entry)
    assert certificate.digest(body) == entry["digest"]
    key = load_key(hanoi.ws, signed=entry["key_sha256"])
    key.public_key().verify(base64.b64decode(entry["signature"]),
                            certificate.signed_message(entry["digest"]))
    # the declarations are on the log, the mismatching one first
    assert [d["collected"] for d in body["declarations"]] == [89, 88]
    assert len(body["pages"]) == 88 and all(len(p["rows"]) == 5 for p in body["pages"])


def test_the_key_is_made_by_new_never_replaced_and_made_at_certification_if_lost_before(
        tmp_path: Path) -> None:
    import stat

    from pipeline.store.keys import WorkspaceKeyError, make_key

    ws = tmp_path / "ws"
    run("new", str(SAMPLES / "seed-000-ubnd-ninhson.yaml"), "--dir", str(ws))
    path = ws / "keys" / "workspace-ed25519.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    first = path.read_bytes()
    with pytest.raises(WorkspaceKeyError, match="never replaced"):
        make_key(ws)
    assert path.read_bytes() == first
    # lost before anything was signed: the first certification makes the key it signs with
    path.unlink()
    run("declare", str(ws), "--issued", "0", "--collected", "0", *COMMITTEE)
    certified = run("certify", str(ws))
    assert path.exists() and path.read_bytes() != first
    assert "Certificate no. 1" in certified.stdout


def test_a_mismatch_certifies_once_explained_in_a_note(tmp_path: Path) -> None:
    ws = scanned_workspace(tmp_path, SAMPLES / "seed-000-ubnd-ninhson.yaml", 3, seed=5)
    w = str(ws)
    run("declare", w, "--issued", "5", "--collected", "4", *COMMITTEE)
    assert run("certify", w, check=False).returncode == 1
    note = "Một phiếu bị rách khi bỏ vào thùng, không quét được; Ban kiểm phiếu đã kiểm đếm tay."
    run("declare", w, "--note", note)
    run("certify", w)
    tally = json.loads(run("tally", w, "--json").stdout)
    assert tally["ballots"]["collected"] == 4 and tally["base"] == 4  # the declared count is the base
    assert tally["certified"] is True


def test_declare_refuses_bad_input_with_a_message(tmp_path: Path) -> None:
    ws = scanned_workspace(tmp_path, SAMPLES / "seed-000-ubnd-ninhson.yaml", 1, seed=6)
    assert run("declare", str(ws), "--issued", "-3", check=False).returncode == 2
    proc = run("declare", str(ws), "--member", "|Thư ký", check=False)
    assert proc.returncode == 1 and "give a name" in proc.stderr
    proc = run("declare", str(ws), "--head", "Lê\u200bVăn", check=False)
    assert proc.returncode == 1 and "invisible" in proc.stderr


# -- every rule set at its exact edges ------------------------------------------

CAMPAIGN = """\
id: edge-{rules}
title: Phiếu lấy phiếu tín nhiệm
body: Hội đồng nhân dân tỉnh Thử Nghiệm
session_date: 2024-12-01
rules: {rules}
electorate: 90
candidates:
  - {{name: Người Một, position: Chức vụ Một}}
"""


@pytest.mark.parametrize(("rules", "collected", "lows", "expected"), [
    # base = ballots collected (88): half is 44, two thirds of 88 is 58.67
    ("nq96-2023", 88, (44, 45, 58, 59), (None, "over_half_low", "over_half_low", "two_thirds_low")),
    ("qd96-2023", 88, (44, 45, 58, 59), (None, "over_half_low", "over_half_low", "two_thirds_low")),
    # base = the electorate (90) whatever was collected: 45 is half, 60 two thirds
    ("nq85-2014", 70, (45, 46, 59, 60), (None, "over_half_low", "over_half_low", "two_thirds_low")),
])
def test_every_rule_set_at_its_exact_edges(rules: str, collected: int, lows: tuple[int, ...],
                                           expected: tuple[str | None, ...]) -> None:
    campaign = parse_campaign(CAMPAIGN.format(rules=rules))
    for low, want in zip(lows, expected, strict=True):
        rest = collected - low
        tally = tally_from_counts(campaign, {("accepted", 1): collected},
                                  {(1, "vote", "low"): low, (1, "vote", "medium"): rest},
                                  (collected, collected))
        person = tally.candidates[0]
        assert tally.base == (90 if rules == "nq85-2014" else collected)
        assert person.consequence == want, (rules, low)
        assert consequence(low, tally.base) == want
        if want:
            text = RULE_SETS[rules].consequences[want]
            assert "Điều" in text and RULE_SETS[rules].title.split()[2].split("/")[0] in text


@pytest.mark.parametrize("rules", sorted(RULE_SETS))
def test_every_rule_set_is_complete(rules: str) -> None:
    r = RULE_SETS[rules]
    assert r.document.startswith(("Nghị quyết", "Quy định")) and "ngày" in r.document
    assert r.base_article.startswith("khoản ") and " Điều " in r.base_article  # Vietnamese order
    assert set(r.consequences) == {"over_half_low", "two_thirds_low"}
    assert r.base_label == ("tổng số đại biểu" if rules == "nq85-2014" else "tổng số phiếu thu về")


def test_quorum_warning_at_two_thirds() -> None:
    assert quorum_warning(60, 90) is None
    assert "2/3" in (quorum_warning(59, 90) or "")
    assert quorum_warning(24, 35) is None and quorum_warning(23, 35) is not None
    # QĐ 96's quorum is cited under the Party's rules only, never in a council's minutes
    assert "96-QĐ/TW" in (quorum_warning(23, 35, "qd96-2023") or "")
    council = quorum_warning(23, 35, "nq96-2023") or ""
    assert "tổng số đại biểu (35)" in council and "96-QĐ/TW" not in council
