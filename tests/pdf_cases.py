"""PDFs written byte by byte, for what no PDF library makes: pages holding huge images."""

from __future__ import annotations

import zlib


def pdf_of_grey_images(sizes: list[tuple[int, int]], *, data: bool = True) -> bytes:
    """A PDF of one A4 page per (width, height) in ``sizes``, each filled by a white greyscale
    image of that many pixels, Flate-compressed (a 20000 x 20000 image is 0.4 MB in the file);
    with ``data=False`` each image only declares its size and holds no pixels."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
                   b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(len(sizes))), len(sizes))]
    for i, (w, h) in enumerate(sizes):
        stream, coding = b"", b""
        if data:
            packer = zlib.compressobj(9)
            row = b"\xff" * w
            stream = b"".join(packer.compress(row) for _ in range(h)) + packer.flush()
            coding = b"/Filter /FlateDecode "
        draw = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
        objects += [
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>" % (4 + 3 * i, 5 + 3 * i),
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8 %s/Length %d >>\nstream\n" % (w, h, coding, len(stream))
            + stream + b"\nendstream",
            b"<< /Length %d >>\nstream\n" % len(draw) + draw + b"\nendstream",
        ]
    pdf, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return pdf + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
