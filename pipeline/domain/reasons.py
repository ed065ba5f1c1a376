"""The workflow's reasons, beside the reader's (`omr.reasons`), and how reasons are kept.

A reason is a value, `omr.reasons.Reason`: a code and its parameters. The
reader gives its own (a row's boxes, faults on the scan, placing the page:
`omr.reasons`); the codes here are the workflow's: a file or an image that
cannot be taken in (`pipeline.reading.sources`, `pipeline.reading.page`), a
code of another campaign, the same image scanned again
(`pipeline.workflow.ingest`), an upload refused (`pipeline.web`). Their
words, English and Vietnamese, are in the message catalogs
(`pipeline.domain.wording`).

Where reasons are kept (``page.reasons``, ``row_reading.reasons``,
``review_item.reasons``) they are JSON: a list of `Reason.to_data` values
(`to_json`, `from_json`), beside the English text they render to (the
audit record, ``reason``).

To add a reason: a `Code` here (the workflow's) or in `omr.reasons` (the
reader's) naming its parameters; its entry, context ``reason``, in both
catalogs (``pipeline/locale/{en,vi}/LC_MESSAGES/kiemphieu.po``, then
compile them); the code path that makes it in ``tests/test_reasons.py``
(`made`), which checks that every code is made and worded.
"""

from __future__ import annotations

import errno
import json
from collections.abc import Iterable
from typing import Any

from omr import reasons as omr_reasons
from omr.reasons import Code, Reason, code

__all__ = ["CODES", "Reason", "failure", "from_json", "to_json"]

# -- the image: pipeline.reading.page ---------------------------------------------------------
IMAGE_DAMAGED = code("image_damaged", "detail")
IMAGE_UNDECODED = code("image_undecoded")
NOT_A_BALLOT_CODE = code("not_a_ballot_code", "text")
OTHER_CAMPAIGN = code("other_campaign", "campaign", "workspace")
OTHER_VERSION = code("other_version", "campaign", "fingerprint", "expected")
NO_SUCH_PAGE = code("no_such_page", "page")
SEAL_MISSING = code("seal_missing", "ring")
SEAL_NOT_RED = code("seal_not_red", "red")
TEST_BALLOT = code("test_ballot", "campaign")  # a test deck's sheet (MẪU THỬ) in the real count
REAL_BALLOT_IN_TEST = code("real_ballot_in_test", "campaign")  # a real sheet in a test workspace

#: Pages refused by name: stored as ``rejected`` with this reason and no review item (there
#: is nothing for a person to decide), and ``scan`` exits 1 saying so.
REFUSED_BY_NAME = frozenset({"other_campaign", "test_ballot", "real_ballot_in_test"})


def refused_by_name(reasons: Iterable[Reason]) -> bool:
    """Whether a page with ``reasons`` is refused by name (`REFUSED_BY_NAME`), also when it is
    such a page seen again (``seen_before_as``)."""
    for r in reasons:
        if r.code in REFUSED_BY_NAME:
            return True
        if r.code == "seen_before_as":
            return refused_by_name(r.as_dict().get("reasons") or ())
    return False

# -- the file: pipeline.reading.sources ---------------------------------------------------------
FILE_EMPTY = code("file_empty")
FILE_TOO_BIG = code("file_too_big", "mib")
FILE_UNREADABLE = code("file_unreadable", "detail")
NOT_AN_IMAGE = code("not_an_image")
FORMAT_UNKNOWN = code("format_unknown")
FORMAT_REFUSED = code("format_refused", "format")
ANIMATED = code("animated", "format", "frames")
TIFF_UNOPENED = code("tiff_unopened", "detail")
TIFF_DAMAGED = code("tiff_damaged", "detail")
TIFF_PAGE_DAMAGED = code("tiff_page_damaged", "page", "detail")
TIFF_DAMAGED_AFTER = code("tiff_damaged_after", "page", "detail")
STRIP_PAST_END = code("strip_past_end")
TIFF_TAG_NOT_COPIED = code("tiff_tag_not_copied", "type")
PDF_UNOPENED = code("pdf_unopened", "detail")
PDF_PAGE_UNREADABLE = code("pdf_page_unreadable", "page", "detail")
PAGE_NOT_ENCODED = code("page_not_encoded")
NO_PIXELS = code("no_pixels", "width", "height")
TOO_MANY_PIXELS = code("too_many_pixels", "width", "height", "mp", "limit_mp")
PDF_IMAGES_TOO_BIG = code("pdf_images_too_big", "page", "width", "height", "mp", "limit_mp")
NOT_PAGE_SHAPED = code("not_page_shaped", "width", "height")
FORMAT_NOT_READ = code("format_not_read")

# -- the same image again: pipeline.workflow.ingest ---------------------------------------------
SEEN_BEFORE = code("seen_before", "page")
SEEN_BEFORE_AS = code("seen_before_as", "reasons", "page")
# -- the same sheet again, other bytes (a rescan, a photocopy): pipeline.workflow.samesheet ------
SAME_SHEET = code("same_sheet", "page", "percent")

# -- an item stored without a reason of its own: pipeline.store.store ---------------------------
TO_REVIEW = code("to_review")
REJECTED = code("rejected")

# -- a file refused by the web station's upload: pipeline.web.routes.upload ---------------------
NOT_A_SCAN_FILE = code("not_a_scan_file")
OVER_UPLOAD_LIMIT = code("over_upload_limit", "mib")
UNSAFE_FILE_NAME = code("unsafe_file_name")
UPLOAD_PAGE_TOO_BIG = code("upload_page_too_big", "page", "width", "height", "limit_mp")
UPLOAD_UNREADABLE = code("upload_unreadable", "detail")

# -- what a failed read or write says: `failure` (a detail of the reasons above, a refusal's
# cause), instead of the system's or a library's English
FAILURE_NOT_FOUND = code("failure_not_found")
FAILURE_DENIED = code("failure_denied")
FAILURE_IS_FOLDER = code("failure_is_folder")
FAILURE_NOT_FOLDER = code("failure_not_folder")
FAILURE_DISK_FULL = code("failure_disk_full")
FAILURE_READ_ONLY = code("failure_read_only")
FAILURE_SYSTEM = code("failure_system", "errno")  # errno's name: EIO, ELOOP...
FAILURE_NOT_UTF8 = code("failure_not_utf8", "byte")
FAILURE_JSON = code("failure_json", "line", "column")
FAILURE_YAML = code("failure_yaml", "line", "column")
FAILURE_BAD_ZIP = code("failure_bad_zip")
FAILURE_NOT_IMAGE = code("failure_not_image")
FAILURE_TRUNCATED = code("failure_truncated")
FAILURE_PDF = code("failure_pdf")
FAILURE_PDF_PASSWORD = code("failure_pdf_password")
FAILURE_TOO_DEEP = code("failure_too_deep")
# a database that cannot be used (`pipeline.store.workspace`): what its driver says, in words
FAILURE_NOT_DATABASE = code("failure_not_database")
FAILURE_DB_UNREACHABLE = code("failure_db_unreachable")
FAILURE_DB_LOGIN = code("failure_db_login")
FAILURE_DB_MISSING = code("failure_db_missing")
FAILURE_DB_URL = code("failure_db_url")
FAILURE_DB_DRIVER = code("failure_db_driver", "module")
FAILURE_OTHER = code("failure_other", "kind")  # the exception's class: ValueError, SyntaxError...

_ERRNO = {
    errno.ENOENT: FAILURE_NOT_FOUND, errno.EACCES: FAILURE_DENIED, errno.EPERM: FAILURE_DENIED,
    errno.EISDIR: FAILURE_IS_FOLDER, errno.ENOTDIR: FAILURE_NOT_FOLDER,
    errno.ENOSPC: FAILURE_DISK_FULL, errno.EDQUOT: FAILURE_DISK_FULL,
    errno.EROFS: FAILURE_READ_ONLY,
}


def failure(exc: BaseException) -> Reason:
    """What ``exc`` says went wrong, as a reason worded in every language: the usual causes
    each in their own words (a file missing, not allowed, a folder; not UTF-8, not JSON or
    not YAML at line L; a damaged zip, PDF or image), keeping where (a line, a column, a
    byte, errno's name) but not the library's English; any other by its class's name.
    A reason an error carries (`pipeline.reading.sources.ImageRefused`) is that reason."""
    carried = getattr(exc, "reason", None)
    if isinstance(carried, Reason):
        return carried
    orig = getattr(exc, "orig", None)  # a database error wraps its driver's
    if isinstance(orig, BaseException):
        exc = orig
    kind = type(exc).__name__
    text = str(exc)
    found = _database(exc, kind, text)
    if found is not None:
        return found
    if isinstance(exc, OSError) and exc.errno is not None:
        made = _ERRNO.get(exc.errno)
        return made() if made else FAILURE_SYSTEM(errno=errno.errorcode.get(exc.errno,
                                                                            str(exc.errno)))
    if isinstance(exc, UnicodeDecodeError):
        return FAILURE_NOT_UTF8(byte=exc.start)
    if isinstance(exc, json.JSONDecodeError):
        return FAILURE_JSON(line=exc.lineno, column=exc.colno)
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None and hasattr(mark, "line"):  # a YAML error, where it was found
        return FAILURE_YAML(line=mark.line + 1, column=mark.column + 1)
    if kind in ("BadZipFile", "BadZipfile", "LargeZipFile"):
        return FAILURE_BAD_ZIP()
    if kind == "UnidentifiedImageError" or text.startswith("cannot identify image file"):
        return FAILURE_NOT_IMAGE()
    if isinstance(exc, EOFError) or "truncated" in text.lower():
        return FAILURE_TRUNCATED()
    if kind == "PdfiumError":
        return FAILURE_PDF_PASSWORD() if "password" in text.lower() else FAILURE_PDF()
    if isinstance(exc, RecursionError):
        return FAILURE_TOO_DEEP()
    return FAILURE_OTHER(kind=kind)


#: what the database drivers and SQLAlchemy say (lower case): words their message holds, the
#: first that matches naming the reason (a refused login is said after "connection failed")
_DATABASE = (
    (("file is not a database",), FAILURE_NOT_DATABASE),
    (("password authentication failed",), FAILURE_DB_LOGIN),
    (("no password supplied",), FAILURE_DB_LOGIN),
    (("role ", "does not exist"), FAILURE_DB_LOGIN),
    (("database ", "does not exist"), FAILURE_DB_MISSING),
    (("connection failed",), FAILURE_DB_UNREACHABLE),
    (("connection refused",), FAILURE_DB_UNREACHABLE),
    (("could not connect",), FAILURE_DB_UNREACHABLE),
    (("could not translate host name",), FAILURE_DB_UNREACHABLE),
    (("timeout expired",), FAILURE_DB_UNREACHABLE),
    (("could not parse sqlalchemy url",), FAILURE_DB_URL),
    (("can't load plugin",), FAILURE_DB_URL),
)


def _database(exc: BaseException, kind: str, text: str) -> Reason | None:
    """A database's refusal (the driver's or SQLAlchemy's own error), or None."""
    if isinstance(exc, ImportError) and exc.name:
        return FAILURE_DB_DRIVER(module=exc.name)
    if kind not in ("DatabaseError", "OperationalError", "ArgumentError", "NoSuchModuleError",
                    "InterfaceError"):
        return None
    said = text.lower()
    for holding, made in _DATABASE:
        if all(words in said for words in holding):
            return made()
    return None


# -- a reason kept only as the words it was recorded in (a record older than codes) ------------
RECORDED = code("recorded", "text")

#: Every code, the reader's and the workflow's, by name.
CODES: dict[str, Code] = {
    **omr_reasons.CODES,
    **{c.code: c for c in globals().values() if isinstance(c, Code)},
}


def to_json(reasons: Iterable[Reason]) -> list[dict[str, Any]] | None:
    """``reasons`` as stored (a list of `Reason.to_data`), or None for none."""
    out = [r.to_data() for r in reasons]
    return out or None


def from_json(data: Any) -> tuple[Reason, ...]:
    """The reasons `to_json` stored; ``()`` for None. A value that is not one is kept
    as the text it holds (`RECORDED`), so that a record always shows."""
    if not data:
        return ()
    if not isinstance(data, list):
        data = [data]
    out = []
    for item in data:
        try:
            out.append(Reason.from_data(item))
        except (ValueError, TypeError):
            out.append(RECORDED(text=str(item)))
    return tuple(out)
