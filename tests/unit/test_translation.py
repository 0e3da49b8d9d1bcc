"""Reading a question in the documents' language: which Apertium directions lead from one language to another."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import translation

LISTED = "  eco-es-fr\n  eco-fr-es\n  eng-spa\n  es-fr\n  fr-es\n  spa-eng\n  spa-eng_US\n"


def test_directions_are_keyed_by_iso_639_1_codes_whatever_apertium_calls_them() -> None:
    assert translation.directions(LISTED) == {("en", "es"): "eng-spa", ("es", "fr"): "es-fr",
                                               ("fr", "es"): "fr-es", ("es", "en"): "spa-eng"}
    # a variant counts when the plain direction is missing; a name that is no language, never
    assert translation.directions("spa-eng_US\nxx1-eng\n") == {("es", "en"): "spa-eng_US"}


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translation, "pairs", lambda: translation.directions(LISTED))


@pytest.mark.usefixtures("installed")
def test_a_language_without_a_direct_direction_goes_through_one_in_between() -> None:
    assert translation.route("es", "en") == ["spa-eng"]
    assert translation.route("fr", "en") == ["fr-es", "spa-eng"]
    assert translation.route("de", "en") is None
    assert translation.route("en", "fr") == ["eng-spa", "es-fr"]


@pytest.mark.usefixtures("installed")
def test_no_translation_without_a_route() -> None:
    assert translation.translate("Wann kommt er?", "de", "en") is None


def test_no_translation_without_apertium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(translation.shutil, "which", lambda name: None)
    monkeypatch.setattr(translation, "_pairs", None)
    assert translation.pairs() == {}
    assert translation.translate("¿Cuándo viene?", "es", "en") is None


@pytest.mark.parametrize(("text", "codes"), [
    ("¿Qué devuelve a.pop() cuando la lista está vacía?", ["a.pop()"]),
    ("¿Para qué sirve la opción --vanilla de R?", ["--vanilla"]),
    ("¿Qué hace el operador @ en Python?", ["@"]),
    ("¿Qué hace `os.path.join(a, b)` (por ejemplo)?", ["`os.path.join(a, b)`"]),
    ("¿Dónde está ~/.Rprofile?", ["~/.Rprofile"]),
    # prose punctuation, brackets, apostrophes and hyphens are no code
    ("Combien d'argent le Japon va-t-il investir (en tout) ?", []),
])
def test_code_strings_are_found_whole(text: str, codes: list[str]) -> None:
    assert [text[s:e] for s, e in translation.code_spans(text)] == codes


def _fake_apertium(monkeypatch: pytest.MonkeyPatch, reply: str) -> list[str]:
    """Apertium answering ``reply`` (with {0}, {1} for the slots it was given), recording what it was sent."""
    sent: list[str] = []

    def apertium(args: list[str], text: str = "") -> str:
        sent.append(text)
        return reply.format(*translation._SLOT.findall(text))

    monkeypatch.setattr(translation, "_apertium", apertium)
    monkeypatch.setattr(translation, "pairs", lambda: translation.directions(LISTED))
    return sent


def test_code_goes_through_as_typed_and_apertiums_marks_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _fake_apertium(monkeypatch, "What #give zcode{0}z when the @list is empty, with Zcode{1}z?")
    read = translation.translate("¿Qué devuelve a.pop() cuando la lista está vacía, con #include?", "es", "en")
    assert sent == ["¿Qué devuelve Zcode0z cuando la lista está vacía, con Zcode1z?"]
    assert read == "What give a.pop() when the list is empty, with #include?"


def test_a_translation_that_lost_a_code_string_is_no_translation(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_apertium(monkeypatch, "What does it give when the list is empty?")
    assert translation.translate("¿Qué devuelve a.pop() cuando la lista está vacía?", "es", "en") is None
    _fake_apertium(monkeypatch, "  ")
    assert translation.translate("¿Qué devuelve?", "es", "en") is None


def test_apertium_taking_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    script = tmp_path / "apertium"
    script.write_text("#!/bin/sh\nsleep 60 | cat\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    monkeypatch.setattr(translation, "TIMEOUT_S", 0.2)
    assert translation._apertium(["spa-eng"], "hola") is None
