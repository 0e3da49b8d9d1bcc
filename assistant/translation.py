"""A question in another language than the documents, read in theirs through Apertium, the rule-based machine
translation Debian packages (``apertium`` and a language pair such as ``apertium-eng-spa``; `make` installs the
Spanish-English and French-Spanish pairs). The words of a question and of the passages must be in one language for
the search, the gate and the verifier to compare them, and the bundled embedding model reads English only.

A pair is one of Apertium's translation directions (``apertium -l``), named by two language codes ISO 639-1 or 639-3
("spa-eng", "fr-es"); a language with no direct pair goes through one in between (French → Spanish → English).
Apertium leaves a word it does not know as it is (names, code), which is what a question about documents needs.
No pair installed, or no ``apertium`` at all: no translation, and the gate refuses saying the languages differ.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess

import langcodes

log = logging.getLogger(__name__)

TIMEOUT_S = 20.0


def _code(tag: str) -> str | None:
    """The ISO 639-1 code (else 639-3) of an Apertium language name ("spa", "eng_US", "fr"), None if not one."""
    tag = tag.replace("_", "-")
    return str(langcodes.Language.get(tag).language) if langcodes.tag_is_valid(tag) else None


@functools.cache
def pairs() -> dict[tuple[str, str], str]:
    """(source, target) language codes -> the Apertium direction translating one into the other, for every direction
    installed with two plain language names (a variant such as "spa-eng_US" only when the plain one is missing; none
    of three, such as "eco-fr-es")."""
    binary = shutil.which("apertium")
    if binary is None:
        return {}
    try:
        listed = subprocess.run([binary, "-l"], capture_output=True, text=True, timeout=TIMEOUT_S).stdout
    except (OSError, subprocess.SubprocessError) as e:
        log.warning("apertium -l failed: %s", e)
        return {}
    return directions(listed)


def directions(listed: str) -> dict[tuple[str, str], str]:
    """:func:`pairs` from the text ``apertium -l`` printed."""
    found: dict[tuple[str, str], str] = {}
    for mode in sorted(listed.split(), key=lambda m: ("_" in m, m)):
        names = mode.split("-")
        codes = [_code(n) for n in names]
        if len(names) == 2 and codes[0] and codes[1] and codes[0] != codes[1]:
            found.setdefault((codes[0], codes[1]), mode)
    return found


def route(source: str, target: str) -> list[str] | None:
    """The directions that take ``source`` to ``target``: one, or two through a language in between."""
    installed = pairs()
    if (source, target) in installed:
        return [installed[source, target]]
    for (s, middle), first in sorted(installed.items()):
        if s == source and (middle, target) in installed:
            return [first, installed[middle, target]]
    return None


def translate(text: str, source: str, target: str) -> str | None:
    """``text`` in ``target``'s language, or None when no installed direction leads there or Apertium fails."""
    directions = route(source, target)
    if not directions:
        return None
    binary = shutil.which("apertium")
    for direction in directions:
        try:
            done = subprocess.run([binary or "apertium", "-u", direction], input=text, capture_output=True,
                                  text=True, timeout=TIMEOUT_S)
        except (OSError, subprocess.SubprocessError) as e:
            log.warning("apertium %s failed: %s", direction, e)
            return None
        if done.returncode != 0 or not done.stdout.strip():
            log.warning("apertium %s failed: %s", direction, done.stderr.strip()[:200])
            return None
        text = done.stdout
    # Apertium marks a word it could not inflect with '#' and one its rules could not move with '@'.
    return " ".join(w.lstrip("#@") for w in text.split())
