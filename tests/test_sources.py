"""Scan files in, pages out: every format, page order, and files that are not scans."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pdf_cases import pdf_of_grey_images
from PIL import Image

from pipeline.domain.wording import words
from pipeline.reading.sources import ScanPage, SourceProblem, collect_inputs, decode_gray, iter_pages


def _page(seed: int, size: tuple[int, int] = (400, 566)) -> Image.Image:
    rng = np.random.default_rng(seed)
    arr = np.full((size[1], size[0]), 255, np.uint8)
    y, x = rng.integers(0, size[1] - 50), rng.integers(0, size[0] - 50)
    arr[y:y + 40, x:x + 40] = 0
    return Image.fromarray(arr)


def _pages(path: Path) -> list[ScanPage | SourceProblem]:
    return list(iter_pages([path]))


def test_multipage_g4_tiff_yields_each_page_1bit(tmp_path: Path) -> None:
    pages = [_page(i).convert("1") for i in range(3)]
    path = tmp_path / "stack.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:], compression="group4", dpi=(200, 200))
    got = _pages(path)
    assert [p.page_index for p in got] == [0, 1, 2]
    for page, original in zip(got, pages, strict=True):
        assert isinstance(page, ScanPage) and page.suffix == ".tif"
        gray = decode_gray(page.data)
        assert gray.dtype == np.uint8 and set(np.unique(gray)) <= {0, 255}
        assert np.array_equal(gray == 255, np.asarray(original))
    assert len({p.sha256 for p in got}) == 3


def test_scanner_pdf_gives_back_the_embedded_jpeg_unchanged(tmp_path: Path) -> None:
    images = [_page(i).convert("RGB") for i in range(2)]
    path = tmp_path / "scan.pdf"
    images[0].save(path, save_all=True, append_images=images[1:], resolution=100)
    got = _pages(path)
    assert len(got) == 2
    for page in got:
        assert isinstance(page, ScanPage) and page.suffix == ".jpg"
        assert page.data[:2] == b"\xff\xd8"
        assert decode_gray(page.data).shape == (566, 400)


def test_vector_pdf_is_rendered(tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    path = tmp_path / "vector.pdf"
    c = canvas.Canvas(str(path), pagesize=(595, 842))
    c.rect(100, 100, 200, 200, fill=1)
    c.showPage()
    c.save()
    (page,) = _pages(path)
    assert isinstance(page, ScanPage) and page.suffix == ".png"
    gray = decode_gray(page.data)
    assert abs(gray.shape[0] - 842 * 200 / 72) < 2
    assert gray.min() == 0 and gray.max() == 255


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_single_images_keep_their_bytes(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"p.{fmt.lower()}"
    _page(1).save(path, format=fmt)
    (page,) = _pages(path)
    assert isinstance(page, ScanPage) and page.data == path.read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.png", b"", "empty"),
        ("notes.png", "Biên bản — không phải ảnh".encode(), "not an image"),
        ("fake.pdf", b"%PDF-1.4\nthis is not a pdf", "PDF cannot be opened"),
        ("fake.tif", b"II*\x00garbage-garbage", "TIFF"),
    ],
)
def test_files_that_are_not_scans_become_problems(tmp_path: Path, name: str, content: bytes,
                                                  reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    (problem,) = _pages(path)
    assert isinstance(problem, SourceProblem)
    assert reason in words(problem.reason, "en")
    assert problem.source == str(path)


def test_truncated_jpeg_is_a_page_whose_pixels_do_not_decode(tmp_path: Path) -> None:
    buf = io.BytesIO()
    _page(2).save(buf, format="JPEG")
    path = tmp_path / "cut.jpg"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (page,) = _pages(path)
    assert isinstance(page, ScanPage)  # the header is intact; the decoder refuses
    with pytest.raises(OSError, match="runcated"):
        decode_gray(page.data)


def test_absurd_dimensions_are_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(path)
    (problem,) = _pages(path)
    assert isinstance(problem, SourceProblem) and "MP limit" in words(problem.reason, "en")


def test_folders_expand_in_name_order_and_skip_other_files(tmp_path: Path) -> None:
    for name in ("b.png", "a.png", "sub/c.jpg"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        _page(3).convert("RGB").save(tmp_path / name)
    (tmp_path / "truth.json").write_text("{}")
    files, skipped = collect_inputs([tmp_path])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.png", "b.png", "sub/c.jpg"]
    assert len(skipped) == 1 and skipped[0].path.name == "truth.json"
    assert skipped[0].why == "not_scan" and "truth.json" in str(skipped[0])


def test_every_file_skipped_in_a_folder_is_named_with_why(tmp_path: Path) -> None:
    _page(3).save(tmp_path / "a.png")
    (tmp_path / "gone.png").symlink_to(tmp_path / "deleted.png")
    (tmp_path / ".hidden.png").write_bytes((tmp_path / "a.png").read_bytes())
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    (tmp_path / "linked").symlink_to(tmp_path / "sub")
    files, skipped = collect_inputs([tmp_path])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.png"]
    assert [str(s) for s in skipped] == [
        f"{tmp_path}/.hidden.png: skipped, a hidden file",
        f"{tmp_path}/gone.png: skipped, a link to nothing (broken symbolic link)",
        f"{tmp_path}/linked: skipped, a link to a folder read already",
        f"{tmp_path}/pipe.png: skipped, not a regular file",
        f"{tmp_path}/sub/loop: skipped, a link to a folder read already",
    ]
    with pytest.raises(FileNotFoundError):
        collect_inputs([tmp_path / "missing"])


def test_a_folder_that_cannot_be_read_is_skipped_saying_why_in_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the system said (permission denied) is carried as a reason, worded in the
    reader's language, not the system's English (root reads every folder: the walk is told)."""
    from pipeline.reading import sources

    def walk(top, onerror, followlinks):
        onerror(PermissionError(13, "Permission denied", str(top / "khoa")))
        return iter(())

    monkeypatch.setattr(sources.os, "walk", walk)
    _, skipped = collect_inputs([tmp_path])
    assert [(s.path, s.why) for s in skipped] == [(tmp_path / "khoa", "folder_unreadable")]
    assert skipped[0].in_words("vi") == ("không đọc được thư mục (không có quyền truy cập "
                                         "(người dùng này không được đọc hoặc ghi))")
    assert str(skipped[0]) == (f"{tmp_path}/khoa: skipped, the folder cannot be read "
                               "(permission denied (this user may not read or write it))")


def test_huge_image_inside_a_pdf_is_refused_before_it_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "bomb.pdf"
    path.write_bytes(pdf_of_grey_images([(400, 566), (20000, 20000), (400, 566)]))
    assert path.stat().st_size < 1_000_000
    # in a process of its own, to measure its peak memory (VmHWM: a fresh process's, where
    # ru_maxrss would carry this one's over): decoding the 400 MP image costs 400 MB at least
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pipeline.domain.wording import words\n"
        "from pipeline.reading.sources import ScanPage, iter_pages\n"
        "for p in iter_pages([Path(sys.argv[1])]):\n"
        "    print(p.page_index, 'page' if isinstance(p, ScanPage) else words(p.reason, 'en'))\n"
        "status = Path('/proc/self/status').read_text().splitlines()\n"
        "print(next(int(x.split()[1]) for x in status if x.startswith('VmHWM:')) // 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True,
                          text=True, check=True)
    *lines, peak_mib = done.stdout.splitlines()
    assert int(peak_mib) < 250
    assert lines[0] == "0 page" and lines[2] == "2 page"
    assert lines[1].startswith("1 PDF page 2 holds images of 400 MP")


def test_scan_names_every_skipped_file_and_counts_them_in_its_summary(tmp_path: Path) -> None:
    kiemphieu = str(Path(sys.executable).with_name("kiemphieu"))
    campaign = Path(__file__).parents[1] / "samples" / "seed-000-ubnd-ninhson.yaml"
    subprocess.run([kiemphieu, "new", str(campaign), "--dir", str(tmp_path / "ws")], check=True,
                   capture_output=True)
    stack = tmp_path / "stack"
    stack.mkdir()
    _page(4).save(stack / "a.png")
    (stack / "b.png").symlink_to(stack / "moved-away.png")
    done = subprocess.run([kiemphieu, "scan", str(tmp_path / "ws"), str(stack)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{stack}/b.png: skipped, a link to nothing (broken symbolic link)" in done.stderr
    assert "1 page(s): 1 rejected" in done.stdout and "Files skipped: 1" in done.stdout
