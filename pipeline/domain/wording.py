"""Every word a person reads, from the message catalogs: labels, the station's words, reasons.

The catalogs are gettext's, one a language, ``pipeline/locale/<lang>/
LC_MESSAGES/kiemphieu.po``, compiled to the ``.mo`` beside it that is read
here (Python's `gettext`). Vietnamese (``vi``) is what people read: the web
station by default, the CLI, explanations and documents. English (``en``)
is the audit record: a reason's English is what is stored beside its code
and written out (``scan --jsonl``, exports), one fixed wording whoever reads
it. After editing a ``.po``, compile it:
``pybabel compile -d pipeline/locale -D kiemphieu`` (a test fails while a
``.mo`` is behind its ``.po``).

Entries are keyed, not written in English first:

- a label or a sentence of the station or the documents: its key, no
  context (``t("queue", "vi")`` -> "Xem xét phiếu");
- a reason: its code (`omr.reasons`, `pipeline.domain.reasons`) in context
  ``reason`` (`words`);
- the parts reasons are made of, in context ``part``: how boxes are named
  (``boxes_one``, ``boxes_many``), corners (``corner_top_left``, ...,
  ``corner_id``), a streak's way (``along_down``, ``along_across``) and the
  words that join lists (``join_and``, ``join_numbers``).

An entry is a Python format string over its parameters (flagged
``python-brace-format``). How a parameter is written:

- a number: with the entry's format spec (``{ink:.2%}``, ``{extent_mm:.1f}``),
  with a decimal comma in Vietnamese; a percentage (``{ink:.2%}``) as
  `percent` writes it ("0,35 %" in Vietnamese, a space before the sign as
  the documents write it; "0.35%" in English); text after a space in the
  spec is a unit written after it (``{thick_mm:.1f mm}``), for lists;
- a tuple of numbers: each so, joined by ``join_numbers`` (", " in English,
  "; " in Vietnamese) when they have decimals, by ", " when whole;
- a reason: its words; a tuple of reasons: their words joined by "; ", or by
  ``join_and`` with the spec ``and`` (``{doubts:and}``); None: nothing;
- ``boxes``: "box 2", "boxes 1, 2 and 3" (``boxes_one``, ``boxes_many``);
  a name ending in ``corners``: each corner's words, joined by ", ";
  ``along``: the streak's way;
- a value with an ``in_words(lang)`` method: what it answers;
- any other text: as it is (a campaign's id, a decoder's own message).

Nothing here raises for a reason it cannot word (a code this version does
not know, a parameter missing): it comes back as its code and parameters.
"""

from __future__ import annotations

import gettext
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from omr.reasons import Reason

LANGS = ("vi", "en")
DOMAIN = "kiemphieu"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
REASON = "reason"  # the context of a reason's entry
PART = "part"  # the context of the parts reasons are made of

__all__ = ["LANGS", "LOCALE_DIR", "Said", "percent", "t", "words"]


@lru_cache(maxsize=len(LANGS))
def catalog(lang: str) -> gettext.GNUTranslations:
    """The compiled catalog of ``lang`` (``vi`` or ``en``).

    Raises `ValueError` for another language, `FileNotFoundError` if its
    ``.mo`` is missing (an install without its package data).
    """
    if lang not in LANGS:
        raise ValueError(f"no catalog for language {lang!r} (known: {', '.join(LANGS)})")
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo", "rb") as fh:
        return gettext.GNUTranslations(fh)


def t(key: str, lang: str = "vi", **params: Any) -> str:
    """The entry ``key`` in ``lang``, its ``{placeholders}`` filled from ``params``;
    the key itself if the catalog has no such entry ("" for "")."""
    if not key:
        return ""
    text = catalog(lang).gettext(key)
    return _fill(text, params, lang) if params else text


def percent(value: float, lang: str = "vi", digits: int = 2) -> str:
    """A share in percent (``value`` already ×100) as ``lang`` writes it: "85,23 %" in
    Vietnamese, a decimal comma and a space before the sign, as the documents write it
    ("chiếm 97,50 % tổng số phiếu thu về"); "85.23%" in English."""
    text = f"{value:.{digits}f}"
    return f"{text.replace('.', ',')} %" if lang == "vi" else f"{text}%"


class Said:
    """A catalog sentence and its values, not yet worded: worded in the language of the
    sentence it stands in (`t` asks `in_words`), English as text (the audit record)."""

    def __init__(self, entry: str, /, **params: Any) -> None:
        self.entry, self.params = entry, params

    def in_words(self, lang: str) -> str:
        return t(self.entry, lang, **self.params)

    def __str__(self) -> str:
        return self.in_words("en")

    def __repr__(self) -> str:
        return f"Said({self.entry!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Said) and (self.entry, self.params) == (other.entry, other.params)

    __hash__ = None  # type: ignore[assignment]


def words(reasons: Reason | Iterable[Reason] | None, lang: str = "vi") -> str:
    """Reasons in ``lang``, several joined by "; "; "" for none. Never raises."""
    if reasons is None:
        return ""
    if isinstance(reasons, Reason):
        reasons = (reasons,)
    return "; ".join(_reason(r, lang) for r in reasons)


def has_entry(key: str, lang: str, context: str | None = None) -> bool:
    """Whether the catalog of ``lang`` holds ``key`` (in ``context``)."""
    return _entry(key, lang, context) is not None


def _entry(key: str, lang: str, context: str | None) -> str | None:
    # gettext answers a missing entry with its key: ask its table (keyed "context\x04key")
    found = catalog(lang)._catalog.get(f"{context}\x04{key}" if context else key)  # type: ignore[attr-defined]
    return found if isinstance(found, str) else None


def _reason(reason: Reason, lang: str) -> str:
    template = _entry(reason.code, lang, REASON)
    try:
        if template is None:
            raise KeyError(reason.code)
        return _fill(template, reason.as_dict(), lang)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        # never stop a page from being shown: the code and its values as they are
        params = ", ".join(f"{k}={_plain(v, lang)}" for k, v in reason.params)
        return f"{reason.code} ({params})" if params else reason.code


def _plain(value: Any, lang: str) -> str:
    if isinstance(value, Reason):
        return _reason(value, lang)
    if isinstance(value, tuple):
        return "[" + ", ".join(_plain(v, lang) for v in value) + "]"
    return str(value)


def _part(key: str, lang: str, **params: Any) -> str:
    text = catalog(lang).pgettext(PART, key)
    return _fill(text, params, lang) if params else text


# -- filling an entry --------------------------------------------------------------------------

class _Named:
    """A parameter written by its name's rule (boxes, corners, a streak's way)."""

    def __init__(self, kind: str, value: Any) -> None:
        self.kind, self.value = kind, value


def _named(name: str, value: Any) -> Any:
    if name == "boxes" and isinstance(value, tuple):
        return _Named("boxes", value)
    if name.endswith("corners") and isinstance(value, tuple):
        return _Named("corners", value)
    if name == "along" and isinstance(value, str):
        return _Named("along", value)
    return value


class _Filler(string.Formatter):
    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        return _field(value, format_spec, self.lang)


def _fill(template: str, params: Mapping[str, Any], lang: str) -> str:
    text = _Filler(lang).vformat(template, (), {k: _named(k, v) for k, v in params.items()})
    return unicodedata.normalize("NFC", text)


_PERCENT_SPEC = re.compile(r"(?:\.(\d+))?%")  # a percentage's format spec: "%", ".2%"


def _field(value: Any, spec: str, lang: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Reason):
        return _reason(value, lang)
    if isinstance(value, _Named):
        return _named_field(value, lang)
    if hasattr(value, "in_words"):  # a value that words itself (verify's problems)
        return str(value.in_words(lang))
    if isinstance(value, tuple):
        if all(isinstance(v, Reason) for v in value):
            joiner = _part("join_and", lang) if spec == "and" else "; "
            return joiner.join(_reason(v, lang) for v in value)
        whole = all(isinstance(v, int) for v in value)
        joiner = ", " if whole else _part("join_numbers", lang)
        return joiner.join(_field(v, spec, lang) for v in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        python_spec, _, unit = spec.partition(" ")
        share = _PERCENT_SPEC.fullmatch(python_spec)
        if share:  # "{ink:.2%}": a fraction, written as a percentage
            text = percent(value * 100, lang, int(share.group(1) or 6))
            return f"{text} {unit}" if unit else text
        text = format(value, python_spec)
        if lang == "vi":
            text = text.replace(".", ",")  # the decimal comma
        return f"{text} {unit}" if unit else text
    return format(value, spec) if spec else str(value)


def _named_field(named: _Named, lang: str) -> str:
    value = named.value
    if named.kind == "boxes":
        numbers = [str(n) for n in value]
        if len(numbers) == 1:
            return _part("boxes_one", lang, box=numbers[0])
        return _part("boxes_many", lang, first=", ".join(numbers[:-1]), last=numbers[-1])
    if named.kind == "corners":
        return ", ".join(_part("corner_id", lang, id=c) if isinstance(c, int)
                         else _part(f"corner_{c}", lang) for c in value)
    return _part(f"along_{value}", lang)
