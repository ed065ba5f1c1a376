"""``--help`` speaks the run's language: Vietnamese by default, English with ``--lang en``,
``KIEMPHIEU_LANG=en`` or an English locale; every help string is a catalog entry.

Every command's help (the root's, each command's, each subcommand's) is rendered in a
fresh process whose language is Vietnamese, and checked word by word for English
(`test_cli_words.english_words`) and for catalog keys left unworded.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from station_cases import KIEMPHIEU, ROOT
from test_cli_words import english_words

from pipeline.domain.wording import LANGS, has_entry, t

# every help, rendered as the command line renders it, in the language given
RENDER = """
import contextlib, io, json, sys
from pipeline.cli.console import decide_lang
decide_lang(["--lang", sys.argv[1]])
import typer
from pipeline.cli import COMMANDS, build_app, load_command
root = typer.main.get_command(build_app())
texts = {}

def render(command, ctx):
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        command.format_help(ctx, ctx.make_formatter())
    return buffer.getvalue()

with typer.Context(root, info_name="kiemphieu") as ctx:
    texts["kiemphieu"] = render(root, ctx)
    for name in COMMANDS:
        command = load_command(name)
        with typer.Context(command, info_name=name, parent=ctx) as sub:
            texts[name] = render(command, sub)
            for inner, each in getattr(command, "commands", {}).items():
                with typer.Context(each, info_name=inner, parent=sub) as last:
                    texts[f"{name} {inner}"] = render(each, last)
print(json.dumps(texts))
"""
PLAIN_ENV = {k: v for k, v in os.environ.items()
             if k not in ("KIEMPHIEU_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
# the first column of the commands' panel: names typed as they are ("scan", "review")
COMMAND_COLUMN = re.compile(r"^│ [a-z]+ {2,}", re.M)
QUOTED = re.compile(r"'[^']*'")  # a key or value quoted as the campaign file writes it
USAGE = re.compile(r"Cách dùng: kiemphieu [^\n]*")  # the command typed, its placeholders
OPTION = re.compile(r"--[a-z][a-z-]*")  # an option's name, typed as it is
# a command whose help strings its own module gives in English still
ENGLISH_STILL: set[str] = set()


def helps(lang: str) -> dict[str, str]:
    run = subprocess.run([sys.executable, "-c", RENDER, lang], capture_output=True, text=True,
                         check=True, env={**PLAIN_ENV, "COLUMNS": "240"})
    return json.loads(run.stdout)


def test_every_help_is_in_vietnamese() -> None:
    texts = helps("vi")
    assert len(texts) > 30 and {"kiemphieu", "scan", "review resolve", "stack withdraw"} <= set(texts)
    for command, text in texts.items():
        assert "Cách dùng: kiemphieu" in text, (command, text)
        assert not re.search(r"\b(help|cli)_[a-z_]+\b", text), (command, text)  # a key unworded
        if command.split()[0] in ENGLISH_STILL:
            continue
        read = USAGE.sub(" ", OPTION.sub(" ", COMMAND_COLUMN.sub("│ ", text)))
        words = english_words(read)
        assert not words, (command, words, text)
        for english in ("Usage", "Options", "Arguments", "Commands", "Show this message",
                        "[default", "[required", "<path>", "<int", "<bool>"):
            assert english not in text, (command, english, text)


def test_help_is_english_on_request() -> None:
    texts = helps("en")
    assert texts["scan"].count("Usage: kiemphieu scan [OPTIONS]") == 1
    assert "Show this message and exit." in texts["scan"] and "Options" in texts["scan"]
    vi_root = subprocess.run([KIEMPHIEU, "--help"], capture_output=True, text=True,
                             env=PLAIN_ENV).stdout
    assert "In, quét và kiểm phiếu" in vi_root and "Lệnh" in vi_root
    for how in (["--lang", "en"], ):
        english = subprocess.run([KIEMPHIEU, *how, "scan", "--help"], capture_output=True,
                                 text=True, env=PLAIN_ENV).stdout
        assert "Ingest scans." in english and "Cách dùng" not in english
    for env in ({"KIEMPHIEU_LANG": "en"}, {"LANG": "en_US.UTF-8"}):
        english = subprocess.run([KIEMPHIEU, "tally", "--help"], capture_output=True, text=True,
                                 env={**PLAIN_ENV, **env}).stdout
        assert "The confidence breakdown so far." in english, env
    vietnamese = subprocess.run([KIEMPHIEU, "tally", "--help"], capture_output=True, text=True,
                                env={**PLAIN_ENV, "LANG": "vi_VN.UTF-8"}).stdout
    assert "Kết quả tín nhiệm đến lúc này." in vietnamese


def test_every_help_entry_is_worded_in_both_catalogs() -> None:
    """Each entry of the help, the usage errors, the campaign file's refusals and verify's
    problems exists in both languages, and its Vietnamese is not its English."""
    from pipeline.domain.wording import catalog

    keys = {k for k in catalog("en")._catalog  # type: ignore[attr-defined]
            if isinstance(k, str) and re.match(
                r"(help_|cli_help_|cli_metavar_|cli_usage_|campaign_|verify_|certificate_hex_)",
                k)}
    keys.discard("verify_problem")  # "{path}: {kind}: {detail}", the same in both
    assert len(keys) > 200
    assert not [(k, lang) for k in keys for lang in LANGS if not has_entry(k, lang)]
    same = {k for k in keys if t(k, "vi") == t(k, "en")}
    assert not same, same


def test_usage_errors_are_in_vietnamese() -> None:
    """The usage errors a person meets (exit status 2), Vietnamese by default; Typer's English
    with ``--lang en``."""
    cases = {
        ("scan", "--workers", "100", "ws", "scans"): "--workers: tối đa là 64",
        ("scan", "--workers", "abc", "ws", "scans"): "cần một số nguyên",
        ("print", "ws", "--copies"): "tùy chọn --copies cần một giá trị",
        ("tally", "ws", "thua"): "thừa giá trị: thua",
        ("tally", "ws", "--json=1"): "tùy chọn --json không nhận giá trị",
        ("tally",): "thiếu WS",
        ("tally", "ws", "--jsn"): "không có tùy chọn --jsn. Có phải ý bạn là --json?",
        ("talyy", "ws"): "không có lệnh talyy",
        ("review", "--all"): "thiếu WS",
        ("user", "add"): "thiếu TÊN",
        ("--lang", "fr", "tally", "ws"): "--lang: fr: chỉ dùng vi (tiếng Việt) hoặc en",
        ("verify", "pkg", "--key", "ab"): "--key: --key: có 2 chữ số hệ 16, mã SHA-256 có 64",
    }
    for args, expected in cases.items():
        run = subprocess.run([KIEMPHIEU, *args], capture_output=True, text=True, env=PLAIN_ENV)
        assert run.returncode == 2, (args, run.stderr)
        said = " ".join(run.stderr.replace("│", " ").split())
        assert expected in said, (args, said)
        assert "Lỗi" in said and "Error" not in said and "Try " not in said, said
        assert not english_words(USAGE.sub(" ", OPTION.sub(" ", said))), (args, said)
    english = subprocess.run([KIEMPHIEU, "--lang", "en", "tally"], capture_output=True,
                             text=True, env=PLAIN_ENV)
    assert english.returncode == 2 and "Missing argument 'WS'." in english.stderr
    assert "Usage: kiemphieu tally [OPTIONS] {WS}" in english.stderr


def test_campaign_file_refusals_and_package_problems_are_in_vietnamese(tmp_path) -> None:
    """A campaign file refused, a package that does not verify (verify, retally): Vietnamese by default,
    each naming the file (and line) in words; English on request."""
    cases = {
        "thieu.yaml": ("id: x\n", "thiếu khóa bắt buộc"),
        "hong.yaml": ("id: [\n", "dòng 2: không phải YAML hợp lệ"),
        "so.yaml": ((ROOT / "samples" / "seed-002-hdnd-ninhson.yaml").read_text("utf-8")
                    .replace("rules: nq96-2023", "rules: khong-co"), "không phải bộ quy định"),
    }
    for name, (text, expected) in cases.items():
        (tmp_path / name).write_text(text, "utf-8")
        run = subprocess.run([KIEMPHIEU, "check", str(tmp_path / name)], capture_output=True,
                             text=True, env=PLAIN_ENV)
        assert run.returncode == 1 and expected in run.stderr, (name, run.stderr)
        said = QUOTED.sub(" ", run.stderr.replace(str(tmp_path), ""))  # keys as in the file
        assert not english_words(said), (name, run.stderr)
    english = subprocess.run([KIEMPHIEU, "--lang", "en", "check", str(tmp_path / "thieu.yaml")],
                             capture_output=True, text=True, env=PLAIN_ENV)
    assert "missing required key" in english.stderr
    (tmp_path / "goi").mkdir()
    (tmp_path / "goi" / "manifest.json").write_text("{}", "utf-8")
    run = subprocess.run([KIEMPHIEU, "verify", str(tmp_path / "goi")], capture_output=True,
                         text=True, env=PLAIN_ENV)
    assert run.returncode == 1 and "manifest.sig: thiếu: bộ hồ sơ không có tệp này" in run.stderr
    assert "KHÔNG HỢP LỆ" in run.stderr
    assert not english_words(run.stderr.replace(str(tmp_path), "")), run.stderr
    audit = subprocess.run([KIEMPHIEU, "retally", str(tmp_path / "goi")], capture_output=True,
                           text=True, env=PLAIN_ENV)
    assert audit.returncode == 1 and "bộ hồ sơ không qua được kiểm tra (manifest.sig: thiếu" \
        in audit.stderr, audit.stderr
    assert not english_words(audit.stderr.replace(str(tmp_path), "")), audit.stderr
