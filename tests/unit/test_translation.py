"""Reading a question in the documents' language: which Apertium directions lead from one language to another."""

from __future__ import annotations

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
    translation.pairs.cache_clear()
    try:
        assert translation.pairs() == {}
        assert translation.translate("¿Cuándo viene?", "es", "en") is None
    finally:
        translation.pairs.cache_clear()
