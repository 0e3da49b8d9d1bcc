"""The chat model's prompt counter: the bundled model's own BPE, an estimate for any other model."""

from __future__ import annotations

from pathlib import Path

from assistant.chat_tokens import CHARS_PER_TOKEN, prompt_counter
from assistant.config import load_settings


def test_another_chat_model_is_estimated_from_characters(tmp_path: Path) -> None:
    count = prompt_counter(load_settings(cache_dir=tmp_path, ollama={"chat_model": "llama3.2:3b"}))
    assert count("x" * 300) == int(300 / CHARS_PER_TOKEN) + 1
    assert not (tmp_path / "tokenizers").exists()


def test_the_bundled_tokenizer_is_converted_once_and_counts_subwords(tmp_path: Path) -> None:
    settings = load_settings(cache_dir=tmp_path)
    count = prompt_counter(settings)
    (converted,) = (tmp_path / "tokenizers").glob("*.json")
    assert count("") == 0
    words = "the documents do not support this answer " * 20
    assert 0 < count(words) < len(words) / CHARS_PER_TOKEN  # English prose: fewer tokens than the estimate
    assert count("12345") == 5  # digits one by one, as the model splits them
    mtime = converted.stat().st_mtime_ns
    prompt_counter(settings)
    assert converted.stat().st_mtime_ns == mtime
