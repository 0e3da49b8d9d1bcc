"""A question in another language than the documents, read in theirs through Apertium, the rule-based machine
translation Debian packages (``apertium`` and a language pair such as ``apertium-eng-spa``; `make` installs the
Spanish-English, French-Spanish and Portuguese-Spanish pairs). The words of a question and of the passages must be
in one language for the search, the gate and the verifier to compare them, and the bundled embedding model reads
English only.

A pair is one of Apertium's translation directions (``apertium -l``), named by two language codes ISO 639-1 or 639-3
("spa-eng", "fr-es"); a language with no direct pair goes through one in between (French → Spanish → English).
Apertium leaves a word it does not know as it is (names), which is what a question about documents needs; code
strings go through as typed, in slots it does not touch. No pair installed, no ``apertium`` at all, a failure or a
lost code string: no translation, and the gate refuses saying the languages differ.

:class:`Apertium` is the component :class:`~assistant.assistant.Assistant` takes (``from_settings`` builds it when
``answer.translate_questions`` is on); anything with its three methods may stand in for it (tests use a dictionary).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
from typing import Protocol

import langcodes

log = logging.getLogger(__name__)

# Code in a question stays as typed: Apertium would translate an identifier ("a.pop()" -> "to.Pop()") and its
# marks would eat '#' and '@'. A code string is a `ticked` span, or a word holding a character prose words do not
# (its sentence's punctuation and quotes aside) or starting with a dash ("--vanilla"); it goes through as a slot.
# An abbreviation ("EE.UU.", "p.ej.", "i.e.") is prose.
_TICKED = re.compile(r"`[^`\n]+`")
_CODE_CHAR = re.compile(r"[._/()\[\]{}=@#~<>*\\|$%^&+`]")
_ABBREVIATION = re.compile(r"(?:[^\W\d_]{1,2}\.){2,}")
_OPENING = "¿¡\"'«“‘"
_CLOSING = "?!.,;:\"'»”’"
_SLOT = re.compile(r"zcode(\d+)z", re.I)


class Translator(Protocol):
    def route(self, source: str, target: str) -> list[str] | None:
        """How ``source`` is translated into ``target`` (None: it is not)."""
        ...

    def sources(self, target: str) -> set[str]:
        """The languages translated into ``target``."""
        ...

    def translate(self, text: str, source: str, target: str) -> str | None:
        """``text`` in ``target``'s language, or None when it cannot be."""
        ...


def code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each code string in ``text``, in order, none overlapping."""
    spans = [m.span() for m in _TICKED.finditer(text)]
    for m in re.finditer(r"\S+", text):
        if any(s < m.end() and m.start() < e for s, e in spans):
            continue
        word = m.group()
        start, end = m.start(), m.end()
        while word and (word[0] in _OPENING or (word[0] == "(" and ")" not in word)):
            word, start = word[1:], start + 1
        while word and (word[-1] in _CLOSING or (word[-1] == ")" and "(" not in word)):
            word, end = word[:-1], end - 1
        if _ABBREVIATION.fullmatch(text, start, min(end + 1, len(text))):  # its full stop was peeled off above
            continue
        if _CODE_CHAR.search(word) or (len(word) > 1 and word.startswith("-")) or _SLOT.search(word):
            spans.append((start, end))
    return sorted(spans)


def without_code(text: str) -> str:
    """``text`` with its code strings left out (they say nothing of its language)."""
    return _SLOT.sub(" ", _mask(text)[0])


def _mask(text: str) -> tuple[str, list[str]]:
    out: list[str] = []
    codes: list[str] = []
    at = 0
    for start, end in code_spans(text):
        out.append(f"{text[at:start]}Zcode{len(codes)}z")
        codes.append(text[start:end])
        at = end
    return "".join(out) + text[at:], codes


def _unmask(text: str, codes: list[str]) -> str | None:
    """The translation with its code strings back, or None when Apertium lost one."""
    found = [int(n) for n in _SLOT.findall(text)]
    if sorted(found) != list(range(len(codes))):
        return None
    return _SLOT.sub(lambda m: codes[int(m.group(1))], text)


def _code(tag: str) -> str | None:
    """The ISO 639-1 code (else 639-3) of an Apertium language name ("spa", "eng_US", "fr"), None if not one."""
    tag = tag.replace("_", "-")
    return str(langcodes.Language.get(tag).language) if langcodes.tag_is_valid(tag) else None


def directions(listed: str) -> dict[tuple[str, str], str]:
    """(source, target) language codes -> the Apertium direction translating one into the other, from what
    ``apertium -l`` printed: every direction with two plain language names (a variant such as "spa-eng_US" only
    when the plain one is missing; none of three, such as "eco-fr-es")."""
    found: dict[tuple[str, str], str] = {}
    for mode in sorted(listed.split(), key=lambda m: ("_" in m, m)):
        names = mode.split("-")
        codes = [_code(n) for n in names]
        if len(names) == 2 and codes[0] and codes[1] and codes[0] != codes[1]:
            found.setdefault((codes[0], codes[1]), mode)
    return found


class Apertium:
    """The ``apertium`` command: its installed directions, read once (a failure to read them is tried again next
    time), and translations through one or two of them, each call stopped after ``timeout_s``."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s
        self._pairs: dict[tuple[str, str], str] | None = None
        self._lock = threading.Lock()

    def pairs(self) -> dict[tuple[str, str], str]:
        """:func:`directions` of the installed Apertium ({} when there is none)."""
        with self._lock:
            if self._pairs is None:
                listed = self._run(["-l"])
                if listed is None:
                    return {}
                self._pairs = directions(listed)
            return self._pairs

    def route(self, source: str, target: str) -> list[str] | None:
        """The directions that take ``source`` to ``target``: one, or two through a language in between."""
        installed = self.pairs()
        if (source, target) in installed:
            return [installed[source, target]]
        for (s, middle), first in sorted(installed.items()):
            if s == source and (middle, target) in installed:
                return [first, installed[middle, target]]
        return None

    def sources(self, target: str) -> set[str]:
        return {s for s, _ in self.pairs() if s != target and self.route(s, target)}

    def translate(self, text: str, source: str, target: str) -> str | None:
        """``text`` in ``target``'s language, its code strings as typed, or None when no installed direction leads
        there, Apertium fails or it lost a code string."""
        directions = self.route(source, target)
        if not directions:
            return None
        masked, codes = _mask(text)
        for direction in directions:
            out = self._run(["-u", direction], masked)
            if out is None or not out.strip():
                return None
            masked = out
        # Apertium marks a word it could not inflect with '#' and one its rules could not move with '@' (the
        # question's own '#' and '@' are in its code slots)
        words = [w.lstrip("#@") for w in masked.split()]
        read = " ".join(w for w in words if w)
        return _unmask(read, codes) if read else None

    def _run(self, args: list[str], text: str = "") -> str | None:
        """What Apertium prints for ``text``, or None when it is missing, fails or takes too long. Apertium is a
        shell pipeline: on a timeout its whole process group is killed, not only the shell."""
        binary = shutil.which("apertium")
        if binary is None:
            return None
        try:
            proc = subprocess.Popen([binary, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, encoding="utf-8", errors="replace",
                                    start_new_session=True)
        except OSError as e:
            log.warning("apertium %s failed: %s", " ".join(args), e)
            return None
        try:
            out, err = proc.communicate(text, timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            log.warning("apertium %s took more than %.0f s", " ".join(args), self.timeout_s)
            return None
        if proc.returncode != 0:
            log.warning("apertium %s failed: %s", " ".join(args), err.strip()[:200])
            return None
        return out
