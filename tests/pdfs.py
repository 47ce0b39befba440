"""Valid PDF files made in the tests: plain ones (pypdf's writer) and one laid out by hand as PDF 1.5
writers such as LibreOffice or Word do it, its page objects packed in a compressed object stream."""

from __future__ import annotations

import io
import zlib


def blank_pdf(pages: int) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=960, height=540)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def object_stream_pdf(pages: int) -> bytes:
    """A PDF 1.5 (ISO 32000-1 §7.5.7, §7.5.8) whose catalog, page tree and pages all sit in one
    Flate-compressed object stream, found through a cross-reference stream: no ``/Type /Page`` appears
    anywhere in the file's bytes.

    Objects: 1 catalog, 2 page tree, 3 … 2+pages the pages (all in the object stream),
    then the object stream itself and the cross-reference stream as ordinary objects."""
    page_ids = list(range(3, 3 + pages))
    packed = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
              2: b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % i for i in page_ids)
                 + b"] /Count %d >>" % pages}
    for i in page_ids:
        packed[i] = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 960 540] /Resources << >> >>"
    header, body = b"", b""
    for number, text in packed.items():
        header += b"%d %d " % (number, len(body))
        body += text + b"\n"
    stream_id, xref_id = 3 + pages, 4 + pages
    compressed = zlib.compress(header + body)

    out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    stream_offset = len(out)
    out += (b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
            % (stream_id, len(packed), len(header), len(compressed))) + compressed + b"\nendstream\nendobj\n"
    xref_offset = len(out)
    # /W [1 4 2]: type, then offset (type 1) or object stream number (type 2), then generation or index.
    rows = [b"\x00" + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")]
    rows += [b"\x02" + stream_id.to_bytes(4, "big") + index.to_bytes(2, "big") for index in range(len(packed))]
    rows += [b"\x01" + stream_offset.to_bytes(4, "big") + b"\x00\x00",
             b"\x01" + xref_offset.to_bytes(4, "big") + b"\x00\x00"]
    table = b"".join(rows)
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
            % (xref_id, xref_id + 1, len(table))) + table + b"\nendstream\nendobj\n"
    return out + b"startxref\n%d\n%%%%EOF\n" % xref_offset
