"""Reading a question in the documents' language: which Apertium directions lead from one language to another, and
code strings kept out of the translation. Apertium itself is scripted here (``_run``); the real one is tried by the
integration tests."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from assistant.translation import _SLOT, Apertium, code_spans, directions

LISTED = "  eco-es-fr\n  eco-fr-es\n  eng-spa\n  es-fr\n  fr-es\n  spa-eng\n  spa-eng_US\n"


class ScriptedApertium(Apertium):
    """Lists ``listed``; translates by answering ``reply`` with the slots it was sent put in for {0}, {1}, …"""

    def __init__(self, reply: str | None = None, listed: str | None = LISTED) -> None:
        super().__init__()
        self.reply, self.listed = reply, listed
        self.sent: list[tuple[str, str]] = []

    def _run(self, args: list[str], text: str = "") -> str | None:
        if args == ["-l"]:
            return self.listed
        self.sent.append((args[-1], text))
        return None if self.reply is None else self.reply.format(*_SLOT.findall(text))


def test_directions_are_keyed_by_iso_639_1_codes_whatever_apertium_calls_them() -> None:
    assert directions(LISTED) == {("en", "es"): "eng-spa", ("es", "fr"): "es-fr", ("fr", "es"): "fr-es",
                                  ("es", "en"): "spa-eng"}
    # a variant counts when the plain direction is missing; a name that is no language, never
    assert directions("spa-eng_US\nxx1-eng\n") == {("es", "en"): "spa-eng_US"}


def test_a_language_without_a_direct_direction_goes_through_one_in_between() -> None:
    apertium = ScriptedApertium()
    assert apertium.route("es", "en") == ["spa-eng"]
    assert apertium.route("fr", "en") == ["fr-es", "spa-eng"]
    assert apertium.route("de", "en") is None
    assert apertium.route("en", "fr") == ["eng-spa", "es-fr"]
    assert apertium.sources("en") == {"es", "fr"}


def test_no_translation_without_a_route_or_without_apertium(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ScriptedApertium(reply="When does he come?").translate("Wann kommt er?", "de", "en") is None
    unlisted = ScriptedApertium(listed=None)  # `apertium -l` failed: nothing installed, asked again next time
    assert unlisted.pairs() == {}
    unlisted.listed = LISTED
    assert unlisted.route("es", "en") == ["spa-eng"]
    monkeypatch.setattr("assistant.translation.shutil.which", lambda name: None)
    assert Apertium().pairs() == {}
    assert Apertium().translate("¿Cuándo viene?", "es", "en") is None


@pytest.mark.parametrize(("text", "codes"), [
    ("¿Qué devuelve a.pop() cuando la lista está vacía?", ["a.pop()"]),
    ("¿Para qué sirve la opción --vanilla de R?", ["--vanilla"]),
    ("¿Qué hace el operador @ en Python?", ["@"]),
    ("¿Qué hace `os.path.join(a, b)` (por ejemplo)?", ["`os.path.join(a, b)`"]),
    ("¿Qué hace (`a.pop()`)?", ["`a.pop()`"]),  # one span, not the ticks and the word around them as well
    ("¿Dónde está ~/.Rprofile?", ["~/.Rprofile"]),
    ("¿Qué significa zcode0z?", ["zcode0z"]),  # a word written like a slot is kept as one
    # prose punctuation, brackets, apostrophes, hyphens and abbreviations are no code
    ("Combien d'argent le Japon va-t-il investir (en tout) ?", []),
    ("¿Cuándo visitará Kishida los EE.UU.? p.ej. en abril", []),
])
def test_code_strings_are_found_whole(text: str, codes: list[str]) -> None:
    assert [text[s:e] for s, e in code_spans(text)] == codes


def test_code_goes_through_as_typed_and_apertiums_marks_are_dropped() -> None:
    apertium = ScriptedApertium(reply="What #give zcode{0}z when the @list is empty, with Zcode{1}z?")
    read = apertium.translate("¿Qué devuelve a.pop() cuando la lista está vacía, con #include?", "es", "en")
    assert apertium.sent == [("spa-eng", "¿Qué devuelve Zcode0z cuando la lista está vacía, con Zcode1z?")]
    assert read == "What give a.pop() when the list is empty, with #include?"


def test_a_translation_that_lost_a_code_string_or_is_blank_is_none() -> None:
    lost = ScriptedApertium(reply="What does it give when the list is empty?")
    assert lost.translate("¿Qué devuelve a.pop() cuando la lista está vacía?", "es", "en") is None
    assert ScriptedApertium(reply=" # @ ").translate("¿Qué devuelve?", "es", "en") is None
    assert ScriptedApertium(reply=None).translate("¿Qué devuelve?", "es", "en") is None


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_apertium_taking_too_long_is_stopped_with_everything_it_started(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    started = tmp_path / "pid"
    script = tmp_path / "apertium"
    script.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {started}\nwait\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert Apertium(timeout_s=0.5)._run(["spa-eng"], "hola") is None
    pid = int(started.read_text())
    for _ in range(50):  # the kill is sent; wait for the kernel to end the process
        if not _alive(pid):
            break
        time.sleep(0.05)
    assert not _alive(pid), "the pipeline's own processes outlived the timeout"
