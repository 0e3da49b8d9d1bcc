"""Regular expressions more than one layer relies on, defined once so that they cannot drift apart."""

from __future__ import annotations

import re
from pathlib import PurePath

# A citation marker ``[n]`` with the whitespace before it: removing a match leaves no stray space before the
# sentence's full stop; code that replaces markers keeps that whitespace itself.
# "[2]" after a space, a digit, punctuation or another marker; not an index like "argv[0]" inside quoted code.
CITATION_MARKER = re.compile(r"\s*(?<![A-Za-z_\[])\[(\d+)\]")

# C0 control characters and DEL that never belong in text: not tab, line feed, form feed or carriage return, which
# plain-text files legitimately hold (and which ``\s`` normalises away where it matters).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# The marks a sentence, a clause or a lead-in ends with (closing quotes and brackets after one included): a line not
# ending in one goes on, or is a title.
CLOSES = tuple(".!?:;…)]}\"'”’")


# A line that opens an item of a list: "- ", "* ", "• ", "1. ", "a) ".
LIST_ITEM = re.compile(r"\s*(?:[-*+•▪‣◦–]|\d{1,3}[.)]|[a-zA-Z][.)])\s+\S")


def underlines(title: str, rule: str) -> bool:
    """``rule`` underlines ``title`` (Markdown's setext and reStructuredText headings, plain-text manuals): one mark
    repeated, at least half as long as the title, under a title that is no sentence or lead-in."""
    rule, title = rule.strip(), title.strip()
    return (bool(_RULE.fullmatch(rule)) and 2 * len(rule) >= len(title) and bool(title)
            and not title.endswith(CLOSES))


_RULE = re.compile(r"([=\-*#~^+])\1{2,}")

# Punctuation that makes prose, not an operator: "--", "...", "—" standing alone are dashes and ellipses.
_PROSE_MARKS = frozenset(".-–—…")
_ENCLOSING = "\"'`()[]{}“”‘’«»"
_TRAILING = ".,;:!?"
_PERCENT_OPERATOR = re.compile(r"%[^%\s]{1,6}%")


def operator(word: str) -> str | None:
    """The operator a whitespace-delimited word is — ``<<-``, ``|>``, ``!=``, ``%in%`` once the quotes and brackets
    around it and the punctuation after it are stripped — or None: two to four symbols, not all dashes or dots, or
    ``%…%``. Operators are BM25 terms and exact strings a passage must hold to answer a question naming them."""
    op = word.strip(_ENCLOSING)
    while len(op) > 2 and op[-1] in _TRAILING:  # "|>." ends a sentence; "!=" and ":=" are operators
        op = op[:-1]
    if _PERCENT_OPERATOR.fullmatch(op):
        return op
    if 2 <= len(op) <= 4 and not any(c.isalnum() or c == "_" for c in op) and set(op) - _PROSE_MARKS:
        return op
    return None


def normalize_newlines(text: str) -> str:
    """Windows (``\\r\\n``) and old Mac (``\\r``) line ends as ``\\n``, the one line end every offset counts."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# The document kinds ingest reads, by file name suffix.
SUFFIX_KINDS = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
                ".pdf": "pdf", ".docx": "docx", ".epub": "epub"}


def kind_of(path: str | PurePath) -> str | None:
    """The document kind for a file name ("text", "markdown", "html", "pdf", "docx", "epub"), or None when
    unsupported."""
    return SUFFIX_KINDS.get(PurePath(path).suffix.lower())
