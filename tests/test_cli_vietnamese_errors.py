"""What goes wrong is said in Vietnamese too: no English sentence of Python, of a library or
of kiemphieu's own reaches a person who reads Vietnamese, and no traceback.

The real ``kiemphieu`` is run, in Vietnamese, on what a committee can give it by mistake
or find damaged: campaign files broken every usual way (YAML syntax, a tab, wrong types, a
name twice, nothing in it, a binary file, a control character), files that are missing or
are folders, results that are not JSON, a certified package and a workspace whose
certification history was edited by hand. Every message is checked word by word for
English (`test_cli_words.english_words`, with the words of the system's and the libraries'
own messages added) and must still say where: the file, and the line when there is one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from certified_case import certified_package
from sqlalchemy import create_engine, text
from station_cases import KIEMPHIEU, SAMPLE
from test_cli_words import ENGLISH, english_words
from test_tampering import resign_manifest, workspace_key

# the words of the English that Python, the YAML and JSON readers and the imaging libraries
# write in their messages, and of kiemphieu's own before they were worded
LIBRARY_ENGLISH = set("""
such directory permission denied expecting value line column char errno cannot found but
got expected character stream unexpected certification history numbered names before one
image identify damaged truncated signature records certificate read readable unacceptable
special allowed mapping scanning parsing flow sequence end start document decode syntax
""".split())
PLAIN_ENV = {k: v for k, v in os.environ.items()
             if k not in ("KIEMPHIEU_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}


def english(said: str) -> set[str]:
    """The English words of ``said``, the command line's and the libraries' both."""
    found = english_words(said)
    for token in re.split(r"[\s,;:()\[\]'\"·=…]+", said):
        if "/" in token or "." in token.strip(".") or any(ch.isdigit() for ch in token):
            continue
        word = token.strip(".!?-").lower()
        if word.isascii() and word in LIBRARY_ENGLISH | ENGLISH:
            found.add(word)
    return found


def kiemphieu(*args: str, code: int = 1) -> str:
    """``kiemphieu *args`` in Vietnamese (the environment asks for no language): what it
    printed, checked for its exit status and for a traceback."""
    proc = subprocess.run([KIEMPHIEU, *args], capture_output=True, text=True, timeout=600,
                          env=PLAIN_ENV)
    said = proc.stdout + proc.stderr
    assert "Traceback" not in said and "lỗi nội bộ" not in said, (args, said)
    assert proc.returncode == code, (args, proc.returncode, said)
    return said


def vietnamese(said: str, *paths: Path) -> None:
    """``said`` holds no English word once the paths it names are left out."""
    rest = said
    for path in paths:
        rest = rest.replace(str(path), " ")
    assert not english(rest), (english(rest), said)


SAMPLE_TEXT = SAMPLE.read_text("utf-8")
FIRST = re.search(r"name: ([^,}\n]+)", SAMPLE_TEXT).group(1)
CAMPAIGNS: dict[str, tuple[bytes, int | None]] = {
    # name: (the file's bytes, the line the message must name, or None)
    "unclosed.yaml": (b"id: x\ntitle: [unclosed\n", 3),
    "colon.yaml": (SAMPLE_TEXT.replace("place: Ninh S", "place: Ninh: S").encode(), 8),
    "indent.yaml": (SAMPLE_TEXT.replace("\nbody:", "\n   body:").encode(), 7),
    "tab.yaml": (SAMPLE_TEXT.replace("\n  - {name: ", "\n\t- {name: ", 1).encode(), 13),
    "at.yaml": (b"id: x\ntitle: @dau\n", 2),
    "escape.yaml": (b'id: x\ntitle: "a\\qb"\n', 2),
    "control.yaml": (b"id: x\ntitle: a\x01b\n", 2),
    "two-documents.yaml": (b"id: x\n---\nb: 1\n", 2),
    "unquoted.yaml": (b"id: x\ntitle: 'a' b\n", 2),
    "wrong-type.yaml": (re.sub(r"electorate: \d+", 'electorate: "nhiều"', SAMPLE_TEXT).encode(),
                        11),
    "list-id.yaml": (SAMPLE_TEXT.replace("id: ubnd-ninhson-2023", "id: [a, b]").encode(), 4),
    "key-twice.yaml": (SAMPLE_TEXT.replace("place:", "title: lần nữa\nplace:").encode(), 8),
    "no-people.yaml": (SAMPLE_TEXT[:SAMPLE_TEXT.index("candidates:")].encode(), None),
    "empty-people.yaml": (SAMPLE_TEXT[:SAMPLE_TEXT.index("candidates:")].encode()
                          + b"candidates: []\n", 12),
    "name-twice.yaml": (SAMPLE_TEXT.encode()
                        + f"  - {{name: {FIRST}, position: Thành viên}}\n".encode(), 22),
    "empty.yaml": (b"", None),
    "a-list.yaml": (b"- a\n- b\n", None),
    "binary.yaml": (bytes(range(256)) * 8, None),
    "deep.yaml": (b"id: " + b"[" * 200 + b"]" * 200 + b"\n", 1),
}


@pytest.mark.parametrize("name", sorted(CAMPAIGNS))
def test_a_broken_campaign_file_is_refused_in_vietnamese_naming_where(tmp_path: Path,
                                                                     name: str) -> None:
    data, line = CAMPAIGNS[name]
    path = tmp_path / name
    path.write_bytes(data)
    for command in (("check", str(path)), ("new", str(path), "--dir", str(tmp_path / "ws"))):
        said = kiemphieu(*command)
        assert said.startswith("lỗi: ") and str(path) in said, said
        if line is not None:
            assert f"dòng {line}" in said, said
        vietnamese(said, path)
        assert not (tmp_path / "ws").exists()


def test_missing_files_folders_and_bad_json_are_said_in_vietnamese(tmp_path: Path) -> None:
    missing = tmp_path / "khong-co.yaml"
    said = kiemphieu("check", str(missing))
    assert "không có tệp hoặc thư mục này" in said and str(missing) in said, said
    vietnamese(said, missing)

    folder = tmp_path / "thu-muc.yaml"
    folder.mkdir()
    said = kiemphieu("check", str(folder))
    assert "đây là một thư mục, không phải một tệp" in said, said
    vietnamese(said, folder)

    results = tmp_path / "tally.json"
    results.write_text('{"candidates": [1, 2,]}', "utf-8")
    said = kiemphieu("check", str(SAMPLE), "--results", str(results))
    assert "không phải JSON hợp lệ tại dòng 1, cột 22" in said, said
    vietnamese(said, results, SAMPLE)
    said = kiemphieu("check", str(SAMPLE), "--results", str(tmp_path / "khong-co.json"))
    assert "không có tệp hoặc thư mục này" in said, said
    vietnamese(said, tmp_path, SAMPLE)

    # in English on request, the same causes in English words, still no Python's own
    proc = subprocess.run([KIEMPHIEU, "--lang", "en", "check", str(missing)], capture_output=True,
                          text=True, env=PLAIN_ENV)
    assert "cannot read the campaign file: no such file or folder" in proc.stderr
    assert "Errno" not in proc.stderr


# -- a certification history edited by hand -----------------------------------------------------

@pytest.fixture(scope="module")
def certified(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return certified_package(tmp_path_factory.mktemp("unit"), SAMPLE, 2)


def test_a_package_whose_history_was_edited_is_refused_in_vietnamese(certified,
                                                                     tmp_path: Path) -> None:
    ws, pkg = certified
    edited = tmp_path / "goi"
    shutil.copytree(pkg, edited)
    doc = json.loads((edited / "certificate.json").read_text("utf-8"))
    doc["history"][0].update(number=3, previous="ab" * 32)
    (edited / "certificate.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
                                             encoding="utf-8")
    resign_manifest(edited, workspace_key(ws))  # an insider with the key: only the history shows
    said = kiemphieu("verify", str(edited))
    assert "lịch sử xác nhận: lần xác nhận thứ 1 trong lịch sử lại mang số 3" in said, said
    assert "lần xác nhận số 3 là lần đầu nhưng lại ghi có lần trước là abababababababab…" in said
    assert "KHÔNG HỢP LỆ" in said
    vietnamese(said, edited)
    said = kiemphieu("retally", str(edited))
    assert "lịch sử xác nhận: lần xác nhận thứ 1" in said, said
    vietnamese(said, edited)


def test_a_workspace_whose_history_was_edited_is_refused_in_vietnamese(certified,
                                                                       tmp_path: Path) -> None:
    ws, _ = certified
    edited = tmp_path / "ws"
    shutil.copytree(ws, edited)
    engine = create_engine(f"sqlite:///{edited / 'kiemphieu.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE certification_history SET previous = :p"), {"p": "cd" * 32})
    engine.dispose()
    said = kiemphieu("retally", str(edited))
    assert "khác biệt: lịch sử xác nhận: lần xác nhận số 1 là lần đầu nhưng lại ghi có lần " \
           "trước là cdcdcdcdcdcdcdcd…" in said, said
    vietnamese(said, edited)
    image = next(p for p in (edited / "images").rglob("*") if p.is_file())
    image.unlink()
    image.mkdir()  # a stored image that is not a file any more
    said = kiemphieu("retally", str(edited))
    assert "không đọc được ảnh đã lưu (đây là một thư mục, không phải một tệp)" in said, said
    vietnamese(said, edited)
