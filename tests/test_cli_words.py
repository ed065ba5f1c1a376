"""The command line speaks Vietnamese to every person (English on request), and the terminal's
problems a committee met are gone.

- A whole session is run in Vietnamese (every command's usual outputs, its refusals and its
  errors), and what it prints is checked word by word: no English word, no catalog key left
  unworded, times in Vietnam time, decimals with a comma.
- Every sentence the command line can print has an entry in both catalogs.
- ``scan`` reports progress in pages; ``tally`` fits 80 columns; a wrong workspace path gets
  the advice that fits it; ``certify`` names every blocker with what to do.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from pathlib import Path

import numpy as np
from station_cases import FAST, KIEMPHIEU, ROOT, SAMPLE, new_workspace, scan_folder

from pipeline.domain.campaign import load_campaign
from pipeline.domain.layout import build_layout
from pipeline.domain.wording import LANGS, has_entry, t
from pipeline.reading.sources import collect_inputs, count_pages
from simulator import VoteModel, simulate_stack, write_case

PASSWORD = "mat-khau-dai-du-12"
CLI = ROOT / "pipeline" / "cli"

# English words that have no place in a Vietnamese sentence of the command line
ENGLISH = set("""
the and of to is are for on by at or not no yes with from this that these into its it
page pages row rows item items open resolved escalated error warning next accepted rejected
duplicate blank withdrawn invalid pending stack stacks machine review reason state decide
decided ballot ballots count counted scan scanned wrote created declared certified digest key
file files none people person rules copies layout workspace campaign matches mismatch issued
collected stored refused taken account password role chair reviewer operator expected ok
wrong test deck figure figures done undone picture box fill ink length station kind sources
""".split())
# values typed on the command line, shown beside their words: "high (Tín nhiệm cao)"
TYPED = re.compile(r"\b(high|medium|low|invalid|accepted|rejected|operator|reviewer|chair) \(")
COMMAND = re.compile(r"kiemphieu( +(--?[\w-]+|[\w./|\"'=-]+|\"[^\"]*\"))*")


def english_words(text: str) -> set[str]:
    """The English words of ``text``, leaving out commands, paths, file names and the
    values typed on the command line."""
    text = COMMAND.sub(" ", TYPED.sub(" (", text))
    words = set()
    for token in re.split(r"[\s,;:()\[\]'\"·=]+", text):
        if "/" in token or "." in token.strip(".") or any(ch.isdigit() for ch in token):
            continue
        word = token.strip(".!?-").lower()
        if word.isascii() and word in ENGLISH:
            words.add(word)
    return words


class Session:
    """``kiemphieu`` run in Vietnamese, every output kept."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.said: list[tuple[str, str]] = []
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("KIEMPHIEU_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
        self.env["KIEMPHIEU_PASSWORD"] = PASSWORD

    def __call__(self, *args: str, code: int = 0, stdin: str | None = None,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([KIEMPHIEU, *args], capture_output=True, text=True, timeout=600,
                              input=stdin, env={**self.env, **(env or {})})
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == code, (args, proc.returncode, proc.stdout, proc.stderr)
        self.said.append((" ".join(args[:3]), proc.stdout + proc.stderr))
        return proc


def test_a_whole_session_speaks_vietnamese(tmp_path: Path) -> None:
    run = Session(tmp_path)
    ws = str(tmp_path / "ws")
    run("check", str(SAMPLE))
    run("new", str(SAMPLE), "--dir", ws)
    run("print", ws, "--copies", "2", "--out", str(tmp_path / "phieu.pdf"))
    run("user", "add", "chu", "--role", "chair", "--ws", ws, "--password-stdin",
        stdin=PASSWORD + "\n")
    run("user", "add", "lan", "--role", "reviewer", "--ws", ws, "--password-stdin",
        stdin=PASSWORD + "\n")
    run("user", "list", "--ws", ws)
    scans = scan_folder(tmp_path / "scans", 5, seed=11, formats=("png", "pdf-jpeg"))
    run("scan", ws, str(scans), "--station", "may-quet-1")
    run("stack", ws)
    run("stack", ws, "show", "1")
    run("stack", ws, "count", "1", "5", "--as", "chu")
    run("tally", ws)
    run("review", ws)
    run("review", ws, "show", "1")
    run("review", ws, "resolve", "1", "rejected", "--as", "lan")
    run("review", ws, "undo", "--as", "lan")
    run("review", ws, "resolve", "1", "rejected", "--as", "lan")
    run("review", ws, "resolve", "1", "high", "--as", "lan", code=1)
    run("page", ws, "1")
    run("page", ws, "1", "invalid", "--reason", "tờ giấy mời", "--as", "chu", code=1)
    run("page", ws, "2")
    run("page", ws, "2", "invalid", "--reason", "không có dấu", "--as", "chu")
    run("page", ws, "2", "invalid", "--reason", "lần nữa", "--as", "chu", code=1)
    run("page", ws, "2", "restore", "--reason", "nhầm", "--as", "chu")
    run("page", ws, "2", "withdraw", "--reason", "x", "--as", "lan", code=1)
    run("stack", ws, "withdraw", "1", "--reason", "quét lại", "--as", "chu")
    run("stack", ws, "restore", "1", "--reason", "ảnh rõ", "--as", "chu")
    run("certify", ws, code=1)
    run("declare", ws, "--issued", "6", "--collected", "4", "--head", "Nguyễn Văn Trưởng")
    run("certify", ws, code=1)
    run("redecide", ws)
    run("explain", ws, "2", "--out", str(tmp_path / "trang2.png"))
    run("testdeck", ws, "--out", str(tmp_path / "mau-thu.pdf"), "--copies", "1")
    run("testdeck", ws, "--check", str(tmp_path / "mau-thu.pdf"))
    run("scan", ws, str(tmp_path / "mau-thu.pdf"), code=1)
    run("tally", ws + "/nowhere", code=1)
    run("tally", str(SAMPLE), code=1)
    run("review", ws, "resolve", "99", "high", "--as", "lan", code=1)
    run("user", "add", "x y", "--role", "reviewer", "--ws", ws, "--password-stdin",
        stdin=PASSWORD + "\n", code=1)
    run("declare", ws, "--collected", "5", "--note", "một phiếu thu muộn")
    run("certify", ws)
    run("scan", ws, str(scans), code=1)

    for command, text in run.said:
        assert not english_words(text), (command, english_words(text), text)
        assert not re.search(r"\b(cli|stack|testdeck|review|pages|users)_[a-z_]+\b", text), \
            (command, text)  # a catalog key printed as it is
        assert "UTC" not in text and "Traceback" not in text, (command, text)
    said = "\n".join(text for _, text in run.said)
    assert "(giờ Việt Nam)" in said and re.search(r"\d+,\d\d%", said)  # Vietnam time, 58,82%
    assert "lỗi: " in said and "Bước tiếp theo: " in said

    # the same commands in English on request: by option, and by the environment
    english = run("--lang", "en", "stack", ws).stdout
    assert english.startswith("Stack 1 (scan, ") and "(Vietnam time)" in english
    assert run("stack", ws, env={"LANG": "en_US.UTF-8"}).stdout == english
    assert run("stack", ws, env={"LANG": "vi_VN.UTF-8"}).stdout.startswith("Lô 1 (quét, ")
    assert run("stack", ws, env={"LANG": "C.UTF-8"}).stdout.startswith("Lô 1 (quét, ")


def _keys(source: str) -> set[str]:
    """The catalog keys named in ``source``: ``say("...")``, ``words("...")``, ``key="..."``."""
    found = re.findall(r'''(?:say|words)\(\s*"([a-z_]+)"|key="([a-z_]+)"''', source)
    return {k for pair in found for k in pair if k}


def test_every_sentence_of_the_command_line_is_in_both_catalogs() -> None:
    sources = [*CLI.glob("*.py"), *(ROOT / "pipeline" / "workflow").glob("*.py")]
    keys = set().union(*(_keys(p.read_text("utf-8")) for p in sources))
    # the keys made from a value: each value the code can give
    keys |= {f"cli_status_{s}" for s in ("accepted", "rejected", "duplicate", "blank_page",
                                          "withdrawn", "review", "vote", "blank", "overvote")}
    keys |= {f"cli_scan_n_{s}" for s in ("accepted", "rejected", "duplicate", "blank_page")}
    keys |= {f"cli_certify_do_{k}" for k in (
        "not_declared", "open_items", "pending_rows", "votes_over_collected",
        "copies_over_collected", "mismatch", "no_certifier")}
    keys |= {f"cli_stack_kind_{k}" for k in ("scan", "upload")}
    keys |= {f"cli_stack_log_{k}" for k in ("withdraw", "restore")}
    keys |= {f"pages_already_{k}" for k in ("invalid", "withdraw")}
    keys |= {"cli_skip_not_scan", "cli_skip_hidden", "cli_skip_broken_link", "cli_skip_not_regular",
             "cli_skip_folder_again"}
    assert len(keys) > 150
    missing = sorted((k, lang) for k in keys for lang in LANGS if not has_entry(k, lang))
    assert not missing
    assert all(t(k, "vi") != t(k, "en") for k in keys if k not in (
        "cli_tally_cell", "cli_scan_page_problem")), \
        [k for k in keys if t(k, "vi") == t(k, "en")]


def test_scan_reports_progress_in_pages(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    scans = scan_folder(tmp_path / "scans", 6, seed=12, formats=("pdf-jpeg",))
    files, _ = collect_inputs([scans])
    pages = sum(count_pages(f) for f in files)
    assert len(files) == 1 and pages == 7  # one PDF: six ballots and a memo
    main, terminal = pty.openpty()  # stderr a terminal: the progress bar shows
    proc = subprocess.Popen([KIEMPHIEU, "--lang", "vi", "scan", str(ws), str(scans)],
                            stdout=subprocess.PIPE, stderr=terminal,
                            env={**os.environ, "COLUMNS": "120"})
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        shown += chunk
    proc.wait(timeout=300)
    os.close(main)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode("utf-8", "replace"))
    assert proc.returncode == 0, text
    assert f"{pages}/{pages} trang" in text and "Đang quét" in text
    assert "0/1" not in text and "1/1" not in text  # files are not what is counted


def test_tally_fits_80_columns(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws", campaign=ROOT / "samples" / "seed-002-hdnd-ninhson.yaml")
    campaign = load_campaign(ROOT / "samples" / "seed-002-hdnd-ninhson.yaml")
    stack = simulate_stack(campaign, build_layout(campaign), 3, np.random.default_rng(13),
                           profile=FAST, vote_model=VoteModel())
    write_case(tmp_path / "scans", stack, ["png"])
    subprocess.run([KIEMPHIEU, "scan", str(ws), str(tmp_path / "scans")], check=True,
                   capture_output=True)
    proc = subprocess.run([KIEMPHIEU, "--lang", "vi", "tally", str(ws)], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "80"})
    lines = proc.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)
    assert "…" not in proc.stdout  # wrapped, never cut off
    shown = set(proc.stdout.split())
    for c in campaign.candidates:  # every word of every name and position is there
        assert set(c.name.split()) <= shown and set(c.position.replace(",", " ").split()) <= \
            {w.strip(",") for w in shown}, c.name
    figures = json.loads(subprocess.run([KIEMPHIEU, "tally", str(ws), "--json"],
                                        capture_output=True, text=True).stdout)
    for c in figures["candidates"]:
        pct = c["percent"]["high"]
        assert f"{pct:.2f}%".replace(".", ",") in proc.stdout


def test_wrong_paths_get_the_advice_that_fits(tmp_path: Path) -> None:
    new_workspace(tmp_path / "demo" / "workspace")
    inside = subprocess.run([KIEMPHIEU, "--lang", "vi", "tally", str(tmp_path / "demo")],
                            capture_output=True, text=True)
    assert inside.returncode == 1
    assert f"có thư mục làm việc bên trong: {tmp_path / 'demo' / 'workspace'}" in inside.stderr
    yaml = subprocess.run([KIEMPHIEU, "--lang", "en", "scan", str(SAMPLE), str(SAMPLE)],
                          capture_output=True, text=True)
    assert yaml.returncode == 1 and "is a campaign file, not a workspace" in yaml.stderr
    assert f"kiemphieu new {SAMPLE} --dir FOLDER" in yaml.stderr
    missing = subprocess.run([KIEMPHIEU, "--lang", "vi", "review", str(tmp_path / "khong")],
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "không có thư mục này" in missing.stderr
    empty = tmp_path / "trong"
    empty.mkdir()
    plain = subprocess.run([KIEMPHIEU, "--lang", "vi", "stack", str(empty)],
                           capture_output=True, text=True)
    assert plain.returncode == 1 and "không phải thư mục làm việc" in plain.stderr
    assert "kiemphieu new TỆP.yaml --dir" in plain.stderr


def test_certify_names_every_blocker_with_what_to_do(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    scans = scan_folder(tmp_path / "scans", 3, seed=14, formats=("png",))  # a memo: an item
    subprocess.run([KIEMPHIEU, "scan", str(ws), str(scans)], check=True, capture_output=True)
    proc = subprocess.run([KIEMPHIEU, "--lang", "vi", "certify", str(ws)], capture_output=True,
                          text=True)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert "chưa thể xác nhận kết quả kiểm phiếu (3 việc cần làm)" in lines[0]
    assert [line.split(".")[0].strip() for line in lines[1::2]] == ["1", "2", "3"]
    assert all(line.strip().startswith("Làm: kiemphieu ") for line in lines[2::2])
    assert "kiemphieu declare" in lines[2] and "kiemphieu review" in lines[4]
