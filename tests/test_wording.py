"""The message catalogs (`pipeline/locale`, `pipeline.domain.wording`): complete, in step with
the code, compiled; and the web station all in Vietnamese.

A code with no entry in a catalog, an entry whose placeholders are not its code's
parameters, a label in one language only, a ``.mo`` behind its ``.po``: each fails here.
Every page of the station is rendered in Vietnamese and read for a catalog key or an English
word left over.
"""

from __future__ import annotations

import html
import io
import re
import string
import unicodedata
from functools import cache
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from review_cases import add_accounts, login, synthetic_workspace

from omr import reasons as omr_reasons
from omr.reasons import NOTE, NOTE_BELOW, SCANNER_STREAK, Code
from pipeline.domain import reasons as domain_reasons
from pipeline.domain.reasons import CODES
from pipeline.domain.wording import DOMAIN, LANGS, LOCALE_DIR, PART, REASON, catalog, t, words
from pipeline.store.store import NewPage, StoredRow
from pipeline.web.app import create_app

PARTS = {"boxes_one", "boxes_many", "corner_top_left", "corner_top_right", "corner_bottom_right",
         "corner_bottom_left", "corner_id", "along_down", "along_across", "join_and",
         "join_numbers"}


@cache
def po(lang: str):
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as fh:
        return read_po(fh, locale=lang)


def entries(lang: str, context: str | None) -> dict[str, str]:
    return {m.id: m.string for m in po(lang) if m.id and m.context == context}


def fields(text: str) -> dict[str, str]:
    """The placeholders of a format string: name -> format spec."""
    return {name.split(".")[0].split("[")[0]: spec or ""
            for _, name, spec, _ in string.Formatter().parse(text) if name is not None}


def test_every_code_has_an_entry_in_both_catalogs_naming_its_parameters() -> None:
    for lang in LANGS:
        reasons = entries(lang, REASON)
        for code in CODES.values():
            assert reasons.get(code.code), f"{code.code}: no entry in the {lang} catalog"
            assert set(fields(reasons[code.code])) == code.params, (
                f"{code.code} ({lang}): the entry names {sorted(fields(reasons[code.code]))}, "
                f"the code {sorted(code.params)}")
        assert set(reasons) <= set(CODES), f"entries of no code: {set(reasons) - set(CODES)}"
    workflow = [c.code for c in vars(domain_reasons).values() if isinstance(c, Code)]
    assert not set(workflow) & set(omr_reasons.CODES), "a workflow code named as a reader's"
    assert len(CODES) == len(omr_reasons.CODES) + len(workflow)


def test_both_languages_hold_the_same_entries_with_the_same_placeholders() -> None:
    for context in (REASON, PART, None):
        en, vi = entries("en", context), entries("vi", context)
        assert set(en) == set(vi), (context, set(en) ^ set(vi))
        for key in en:
            assert en[key] and vi[key], (context, key)
            # the same names, numbers written to the same precision
            assert fields(en[key]) == fields(vi[key]), (context, key, en[key], vi[key])
            assert unicodedata.is_normalized("NFC", vi[key]), key
    assert set(entries("en", PART)) == PARTS


def test_the_compiled_catalogs_are_the_po_files() -> None:
    """After editing a .po: ``pybabel compile -d pipeline/locale -D kiemphieu``."""
    import gettext

    for lang in LANGS:
        buf = io.BytesIO()
        write_mo(buf, po(lang))
        fresh = gettext.GNUTranslations(io.BytesIO(buf.getvalue()))
        assert fresh._catalog == catalog(lang)._catalog, (
            f"pipeline/locale/{lang}/LC_MESSAGES/{DOMAIN}.mo is not compiled from its .po")


def test_labels_and_numbers() -> None:
    assert t("high") == "Tín nhiệm cao" and t("high", "en") == "High confidence"
    assert t("no_such_label") == "no_such_label" and t("") == ""
    with pytest.raises(ValueError, match="no catalog"):
        t("high", "fr")
    streak = SCANNER_STREAK(width_mm=1.25, along="down", axis="x", position_px=812.4, through=None)
    assert "1,2 mm" in words(streak, "vi") and "1.2 mm" in words(streak, "en")


# -- the web station, every page in Vietnamese ------------------------------------------------

# words that are the same in both languages, or not words of either
KEPT = {"kiemphieu", "PDF", "TIFF", "JPEG", "PNG", "UTC", "MiB", "MP", "STT", "English", "mm",
        "px", "dpi", "QR", "HĐND", "ArUco", "RMS"}
PAGES = ["/dashboard", "/queue", "/pages", "/pages?status=rejected", "/record", "/upload",
         "/pages/1", "/pages/2", "/pages/3", "/pages/999", "/no-such-page"]


def _visible(page: str) -> str:
    """What a person reads of a page: its text and the words its scripts show."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    said = " ".join(re.findall(r'(?:data-msg-[a-z-]+|title|placeholder|aria-label|alt)="([^"]*)"',
                               page))
    text = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(text + " " + said)


@cache
def _vocabulary() -> tuple[set[str], set[str]]:
    """(words of the Vietnamese catalog, English words of the English catalog not in it)."""
    def tokens(texts) -> set[str]:
        return {w for text in texts for w in re.findall(r"[^\W\d_]+", text)}

    vi = tokens(m.string for m in po("vi") if m.id)
    en = tokens(m.string for m in po("en") if m.id)
    keys = {m.id for m in po("vi") if m.id}
    return vi | KEPT, {w for w in (en | keys) - vi - KEPT if w.isascii()}


def test_every_page_of_the_station_is_in_vietnamese(tmp_path: Path) -> None:
    ws = synthetic_workspace(tmp_path, pages=1, review_rows=2, rejected=1)
    ws.store.add_page(NewPage(
        source="stack.pdf", page_index=5, image_sha256="b" * 64, image_path="images/b.png",
        status="accepted", ballot_page=1,
        rows=tuple(StoredRow(s, "vote", "low", (), (0, 0, 0.4)) for s in range(1, 13)),
        doubts=(NOTE(where=NOTE_BELOW(), w_mm=30, h_mm=6, x_mm=100, y_mm=270),)))
    add_accounts(ws, {"chu": "chair"})
    client = TestClient(create_app(ws.path, allowed_hosts=("testserver",)))
    data = " ".join([ws.campaign.title, ws.campaign.body, ws.campaign.id, "stack.pdf", "chu", "notes.txt"]
                    + [f"{c.name} {c.position}" for c in ws.campaign.candidates])
    known, english = _vocabulary()
    allowed = known | set(re.findall(r"[^\W\d_]+", data))
    shown = [("/login", client.get("/login").text)]
    csrf = login(client, "chu")
    shown += [(path, client.get(path, headers={"Accept": "text/html"}).text) for path in PAGES]
    item = client.post("/api/queue/next", headers={"X-CSRF-Token": csrf}).json()["item"]
    shown.append(("the queue's item", " ".join(
        [item["reason_shown"], item["state_label"], *(v["label"] for v in item["values"])])))
    upload = client.post("/upload", headers={"X-CSRF-Token": csrf},
                         files={"files": ("notes.txt", b"hello")}, data={"csrf": csrf})
    shown.append(("/upload (refused)", upload.text))
    for path, page in shown:
        text = _visible(page)
        words_ = set(re.findall(r"[^\W\d_]+", text))
        left = sorted(words_ & english)
        assert not left, f"{path}: English or a key left in Vietnamese: {left}"
        unknown = sorted(w for w in words_ - allowed if not w.isupper())
        assert not unknown, f"{path}: words of no catalog: {unknown}"
