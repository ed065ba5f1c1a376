"""What the review screen is given for one item (``POST /api/queue/next``), over HTTP: the
machine's reading as boxes, the row's only mark (which makes a different level ask
first), the scanned page and file it comes from, a note framed on the page picture
rather than given as coordinates, and the invalid reason a person must choose."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from review_cases import add_accounts, login, synthetic_workspace

from omr.reasons import FILL_CLEAR_MARKS, NOTE, NOTE_BELOW
from pipeline.store.store import NewPage, StoredRow
from pipeline.web.app import create_app

HOST = ("testserver",)
UPRIGHT = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def test_a_row_item_names_its_boxes_its_only_mark_and_its_scan(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=1)  # a faint mark in box 2 only
    add_accounts(ws, {"lan": "reviewer"})
    client = TestClient(create_app(ws.path, allowed_hosts=HOST))
    csrf = login(client, "lan")
    item = client.post("/api/queue/next", headers={"X-CSRF-Token": csrf}).json()["item"]
    assert item["kind"] == "row" and item["marked"] == [2]
    assert item["only_mark"] == "medium"
    assert item["machine"] == "có dấu ở Ô 2 (Tín nhiệm)"
    assert [b["marked"] for b in item["boxes"]] == [False, True, False]
    assert item["scan"] == "Trang quét #1 (stack.pdf, trang 1)"
    assert item["fills_shown"] == ["0,000", "0,050", "0,000"]  # decimal commas

    # invalid needs a reason: none is chosen for the person
    refused = client.post(f"/api/items/{item['id']}/decision", headers={"X-CSRF-Token": csrf},
                          json={"value": "invalid"})
    assert refused.status_code == 400
    done = client.post(f"/api/items/{item['id']}/decision", headers={"X-CSRF-Token": csrf},
                       json={"value": "invalid", "reason": "reason_several"}).json()
    assert done["decided"]["resolution"] == "invalid"
    queue = client.get("/queue").text
    assert '<option value="reason_' not in queue and 'data-reason="reason_no_mark"' in queue


def test_two_marks_are_no_only_mark(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=0)
    ws.store.add_page(NewPage(
        source="uploads/0123456789abcdef-ban-2.pdf", page_index=2, image_sha256="c" * 64,
        image_path="images/c.png", status="accepted", ballot_page=1,
        rows=(StoredRow(1, "review", None, (FILL_CLEAR_MARKS(boxes=(1, 3), fills=(0.4, 0.5)),),
                        (0.4, 0.0, 0.5)),)))
    add_accounts(ws, {"lan": "reviewer"})
    client = TestClient(create_app(ws.path, allowed_hosts=HOST))
    csrf = login(client, "lan")
    item = client.post("/api/queue/next", headers={"X-CSRF-Token": csrf}).json()["item"]
    assert item["marked"] == [1, 3] and item["only_mark"] is None
    assert item["scan"] == "Trang quét #1 (ban-2.pdf, trang 3)"  # the upload's hash left out


def test_a_note_is_framed_on_the_page_not_given_as_coordinates(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=0)
    ws.store.add_page(NewPage(
        source="stack.pdf", page_index=0, image_sha256="b" * 64, image_path="images/b.png",
        status="accepted", ballot_page=1, homography=UPRIGHT,
        rows=tuple(StoredRow(s, "vote", "high", (), (0.4, 0, 0)) for s in range(1, 13)),
        doubts=(NOTE(where=NOTE_BELOW(), w_mm=30, h_mm=6, x_mm=105, y_mm=270),)))
    add_accounts(ws, {"lan": "reviewer"})
    client = TestClient(create_app(ws.path, allowed_hosts=HOST))
    csrf = login(client, "lan")
    item = client.post("/api/queue/next", headers={"X-CSRF-Token": csrf}).json()["item"]
    assert item["kind"] == "page"
    assert "khoanh đỏ trên ảnh trang" in item["reason_shown"]
    assert "x = " not in item["reason_shown"] and "105" not in item["reason_shown"]
    (mark,) = item["marks"]
    width, height = ws.layout.frame.page_size_mm
    # the note's box, 3 mm around it, in percent of the page
    assert abs(mark["x"] - 100 * (105 - 15 - 3) / width) < 1e-6
    assert abs(mark["y"] - 100 * (270 - 3 - 3) / height) < 1e-6
    assert abs(mark["w"] - 100 * 36 / width) < 1e-6 and abs(mark["h"] - 100 * 12 / height) < 1e-6
