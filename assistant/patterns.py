"""Regular expressions more than one layer relies on, defined once so that they cannot drift apart."""

from __future__ import annotations

import re

# A citation marker ``[n]`` with the whitespace before it: removing a match leaves no stray space before the
# sentence's full stop; code that replaces markers keeps that whitespace itself.
# "[2]" after a space, a digit, punctuation or another marker; not an index like "argv[0]" inside quoted code.
CITATION_MARKER = re.compile(r"\s*(?<![A-Za-z_\[])\[(\d+)\]")

# C0 control characters and DEL that never belong in text: not tab, line feed, form feed or carriage return, which
# plain-text files legitimately hold (and which ``\s`` normalises away where it matters).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")

# Punctuation that makes prose, not an operator: "--", "...", "—" standing alone are dashes and ellipses; "<<-",
# "|>", "==" are operators (BM25 terms, and exact strings a passage must hold to answer a question naming them).
PROSE_MARKS = frozenset(".-–—…")


def normalize_newlines(text: str) -> str:
    """Windows (``\\r\\n``) and old Mac (``\\r``) line ends as ``\\n``, the one line end every offset counts."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
