"""Prompt templates, kept as plain files in ``prompts/`` and checked when loaded.

Each template names the placeholders it must contain; a missing file or placeholder is a ConfigError at load
time, not a KeyError in the middle of an answer.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError

REQUIRED: dict[str, set[str]] = {
    "system": set(),
    "answer": {"passages", "question"},
    "passage": {"number", "text"},
    "refusal": set(),
}


@dataclass(frozen=True)
class Prompts:
    system: str
    answer: str
    passage: str
    refusal: str

    @classmethod
    def load(cls, directory: Path) -> Prompts:
        texts = {}
        for name, needed in REQUIRED.items():
            path = directory / f"{name}.txt"
            try:
                text = path.read_text(encoding="utf-8").strip()
            except OSError as e:
                raise ConfigError(f"Prompt template {path} cannot be read: {e}") from e
            try:
                found = {f for _, f, _, _ in string.Formatter().parse(text) if f}
            except ValueError as e:
                raise ConfigError(f"Prompt template {path} is malformed: {e}") from e
            if found != needed:
                raise ConfigError(f"Prompt template {path} must use the placeholders {sorted(needed)}, "
                                  f"found {sorted(found)}")
            texts[name] = text
        return cls(**texts)

    def render_passages(self, windows: list[tuple[int, str]]) -> str:
        """``windows`` are (passage number, text): the number is the one the model cites."""
        return "\n\n".join(self.passage.format(number=n, text=t.strip()) for n, t in windows)

    def render_answer(self, question: str, windows: list[tuple[int, str]]) -> str:
        return self.answer.format(passages=self.render_passages(windows), question=question)
