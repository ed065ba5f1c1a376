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


# -- a workspace that is there already, damaged, or whose database cannot be used ---------------

VIETNAMESE = re.compile("[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]")


def english_run(*args: str) -> str:
    """``kiemphieu --lang en *args``: what it printed (it fails, without a traceback)."""
    proc = subprocess.run([KIEMPHIEU, "--lang", "en", *args], capture_output=True, text=True,
                          timeout=600, env=PLAIN_ENV)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = tmp_path_factory.mktemp("made") / "ws"
    kiemphieu("new", str(SAMPLE), "--dir", str(ws), code=0)
    return ws


def test_a_folder_that_is_a_workspace_already_is_refused_in_vietnamese(made: Path) -> None:
    said = kiemphieu("new", str(SAMPLE), "--dir", str(made))
    assert said.startswith("lỗi: ") and f"{made}: đã là thư mục làm việc" in said, said
    vietnamese(said, made)
    assert "already a workspace" in english_run("new", str(SAMPLE), "--dir", str(made))


def damaged_copy(made: Path, tmp: Path, name: str, data: bytes) -> Path:
    ws = tmp / name.replace("/", "-")
    shutil.copytree(made, ws)
    (ws / name).write_bytes(data)
    return ws


@pytest.mark.parametrize("name, data, says", [
    ("workspace.json", b"{\n", "không phải JSON hợp lệ tại dòng 2, cột 1"),
    ("workspace.json", b"[1]", "workspace.json"),
    ("campaign.yaml", b"\xff\xfe", "không phải văn bản mã UTF-8 (byte 0)"),
    ("campaign.yaml", b"- a\n", "bị sửa tay"),
    ("campaign.yaml", SAMPLE_TEXT.replace("title:", "title: khác\nx:").encode(), "bị sửa tay"),
    ("kiemphieu.db", b"x" * 4096, "không phải cơ sở dữ liệu"),
])
def test_a_damaged_workspace_is_said_in_vietnamese(made: Path, tmp_path: Path, name: str,
                                                   data: bytes, says: str) -> None:
    ws = damaged_copy(made, tmp_path, name, data)
    said = kiemphieu("tally", str(ws))
    assert said.startswith("lỗi: ") and str(ws) in said and says in said, said
    vietnamese(said, ws)
    in_english = english_run("tally", str(ws))  # in English when asked, and only in English
    assert in_english.startswith("error: ") and not VIETNAMESE.search(in_english), in_english


def test_records_of_a_newer_kiemphieu_are_said_in_vietnamese(made: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(made, ws)
    engine = create_engine(f"sqlite:///{ws / 'kiemphieu.db'}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    engine.dispose()
    said = kiemphieu("tally", str(ws))
    assert "ffffffffffff" in said and "phiên bản kiemphieu mới hơn" in said, said
    vietnamese(said, ws)


def test_a_database_that_cannot_be_reached_is_said_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://u:secret@127.0.0.1:1/x"
    for command in (("new", str(SAMPLE), "--dir", str(tmp_path / "ws"), "--db", url),):
        said = kiemphieu(*command)
        assert "secret" not in said and "postgresql://***@127.0.0.1:1/x" in said, said
        assert "không kết nối được" in said, said
        vietnamese(said, tmp_path)
        assert not (tmp_path / "ws").exists()  # nothing left behind: the same command again
        again = english_run(*command)
        assert "secret" not in again and "cannot connect" in again, again
    said = kiemphieu("new", str(SAMPLE), "--dir", str(tmp_path / "ws2"), "--db", "nosuch://a:b@c/d")
    assert "nosuch://***@c/d" in said and ":b@" not in said, said
    vietnamese(said, tmp_path)


def test_a_damaged_or_missing_workspace_key_is_said_in_vietnamese(certified,
                                                                 tmp_path: Path) -> None:
    ws, _ = certified
    copy = tmp_path / "ws"
    shutil.copytree(ws, copy)
    key = next((copy / "keys").iterdir())
    key.write_bytes(b"-----BEGIN PRIVATE KEY-----\nhong\n-----END PRIVATE KEY-----\n")
    said = kiemphieu("export", str(copy), "--out", str(tmp_path / "goi"))
    assert f"{key}: khóa của thư mục làm việc bị hỏng" in said, said
    vietnamese(said, copy, tmp_path)
    assert "the workspace key is damaged" in english_run("export", str(copy), "--out",
                                                         str(tmp_path / "goi"))
    key.unlink()
    said = kiemphieu("export", str(copy), "--out", str(tmp_path / "goi"))
    assert f"{key}: không có khóa của thư mục làm việc" in said, said
    vietnamese(said, copy, tmp_path)


def test_a_certified_workspace_refuses_changes_in_vietnamese(certified, tmp_path: Path) -> None:
    ws, _ = certified
    copy = tmp_path / "ws"
    shutil.copytree(ws, copy)
    said = kiemphieu("declare", str(copy), "--issued", "3")
    assert "đã khóa" in said and str(copy) in said, said
    vietnamese(said, copy)
    said = kiemphieu("declare", str(copy), "--member", "|Thư ký")
    assert "--member '|Thư ký': hãy cho họ tên" in said, said
    vietnamese(said, copy)


# -- a campaign file with a key kiemphieu does not know: a warning, naming the line --------------

def test_an_unknown_campaign_key_is_warned_of_in_vietnamese(tmp_path: Path) -> None:
    path = tmp_path / "dot.yaml"
    text_ = SAMPLE_TEXT.replace("place:", "colour: red\nsubtitel: Phiên họp thứ 2\nplace:", 1)
    text_ = text_.replace("position:", "positon: x, position:", 1)
    path.write_text(text_, "utf-8")
    lines = text_.splitlines()
    colour = next(i for i, s in enumerate(lines, 1) if s.startswith("colour:"))
    person = next(i for i, s in enumerate(lines, 1) if "positon:" in s)
    for command in (("check", str(path)), ("new", str(path), "--dir", str(tmp_path / "ws"))):
        said = kiemphieu(*command, code=0)
        assert f"cảnh báo: {path}, dòng {colour}: khóa 'colour' không phải khóa của tệp cấu " \
               "hình đợt nên bị bỏ qua" in said, said
        assert f"dòng {colour + 1}: khóa 'subtitel'" in said and "'subtitle'" in said, said
        assert f"dòng {person}: khóa 'candidates[1].positon'" in said and "'position'" in said, said
        warned = "\n".join(line for line in said.splitlines() if line.startswith("cảnh báo"))
        vietnamese(warned.replace("'colour'", "").replace("positon", ""), path)
    proc = subprocess.run([KIEMPHIEU, "--lang", "en", "check", str(path)], capture_output=True,
                          text=True, env=PLAIN_ENV)
    assert "unknown key 'subtitel'" in proc.stderr and "'subtitle'" in proc.stderr, proc.stderr
