"""Small PDFs written by hand for tests: one text line per row, any number of pages, optionally encrypted."""

from __future__ import annotations

import io


def make_pdf(pages: list[list[str]] | list[list[str | tuple[str, float]]], roman_front: int = 0) -> bytes:
    """A minimal valid PDF whose pages show the given lines in Helvetica (Latin-1 text), top to bottom: 12 point, or
    the size given with a line as ``(text, size)``. ``roman_front``: page labels number that many pages i, ii, ...
    and the rest 1, 2, ... (as a book's front matter)."""
    labels = b" /PageLabels << /Nums [0 << /S /r >> %d << /S /D >>] >>" % roman_front if roman_front else b""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R%s >>" % labels, b""]
    font_id = 3
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for lines in pages:
        sized = [(line, 12.0) if isinstance(line, str) else line for line in lines]
        escaped = [(line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)"), size) for line, size in sized]
        ops = ["BT 72 720 Td 14 TL"] + [f"/F1 {size:g} Tf ({line}) Tj T*" for line, size in escaped] + ["ET"]
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        content_id = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (content_id, font_id)
        )
        kids.append(len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def encrypt_pdf(data: bytes, password: str = "secret") -> bytes:
    """``data`` encrypted with a user password (pypdf's writer), so it cannot be opened without it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def titled_pdf(data: bytes, title: str) -> bytes:
    """``data`` with ``title`` in its document information (pypdf's writer)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
