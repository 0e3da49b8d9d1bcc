"""How long a prompt is for the chat model: tokens counted with the model's own tokenizer, when we have it.

The prompt is shrunk until it fits the chat model's context window (``ollama.num_ctx``) with room for the answer.

- The bundled chat model (SmolLM2-135M-Instruct): its GGUF file carries its byte-level BPE vocabulary and merges.
  They are read once with ``gguf`` (llama.cpp's own reader, ~5 s) and saved as a ``tokenizers`` file under
  ``<cache_dir>/tokenizers/``, which later processes load in milliseconds.
- Any other model: characters / 3, an over-estimate for English with common tokenizers, so a prompt that fits by the
  estimate fits.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from assistant.config import OllamaSettings, Settings

BUNDLED_CHAT_MODEL = str(OllamaSettings.model_fields["chat_model"].default)
CHARS_PER_TOKEN = 3.0


def prompt_counter(settings: Settings) -> Callable[[str], int]:
    """Tokens of a text for the configured chat model (exact for the bundled one, estimated for others)."""
    if settings.ollama.chat_model == BUNDLED_CHAT_MODEL:
        path = bundled_tokenizer(settings.cache_dir)
        if path is not None:
            return _bpe_counter(str(path))
    return lambda text: int(len(text) / CHARS_PER_TOKEN) + 1


@functools.lru_cache(maxsize=4)
def _bpe_counter(path: str) -> Callable[[str], int]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(path)
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


def bundled_tokenizer(cache_dir: Path) -> Path | None:
    """The bundled chat model's tokenizer as a ``tokenizers`` file, converted from its GGUF on first use; None when
    the weights package is not installed."""
    from assistant.bundled import CHAT_PACKAGE, package_dir
    from assistant.errors import ModelNotFoundError

    try:
        weights = next(package_dir(CHAT_PACKAGE).glob("*.gguf"), None)
    except ModelNotFoundError:
        return None
    if weights is None:
        return None
    out = cache_dir / "tokenizers" / f"{weights.stem}.json"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tokenizer-", suffix=".json", dir=out.parent)
        os.close(fd)
        try:
            _convert(weights, Path(tmp))
            os.replace(tmp, out)  # atomic: a concurrent process reads the old state or the whole file
        finally:
            Path(tmp).unlink(missing_ok=True)
    return out


def _convert(gguf_path: Path, out: Path) -> None:
    """GGUF ``tokenizer.ggml.*`` (GPT-2 style byte-level BPE, digits split one by one) → ``tokenizers`` JSON."""
    from gguf import GGUFReader
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    reader = GGUFReader(str(gguf_path))

    def strings(key: str) -> list[str]:
        field = reader.fields[key]
        return [bytes(field.parts[i]).decode("utf-8") for i in field.data]

    vocab = {token: i for i, token in enumerate(strings("tokenizer.ggml.tokens"))}
    merges = [tuple(m.split(" ", 1)) for m in strings("tokenizer.ggml.merges")]
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges))  # type: ignore[arg-type]
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                       pre_tokenizers.ByteLevel(add_prefix_space=False)])
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.save(str(out))
