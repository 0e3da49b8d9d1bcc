"""Grounded, local-first document assistant: answers from your documents, every sentence checked against the
passage it cites."""

from typing import TYPE_CHECKING

from assistant.errors import (
    AssistantError,
    ConfigError,
    EmptyIndexError,
    IngestError,
    InvalidQuestionError,
    ModelNotFoundError,
    ServerStartError,
    ServerUnavailableError,
    StoreUnavailableError,
)

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "ConfigError",
    "EmptyIndexError",
    "IngestError",
    "InvalidQuestionError",
    "ModelNotFoundError",
    "Passage",
    "RemovedSentence",
    "ServerStartError",
    "ServerUnavailableError",
    "Settings",
    "StoreUnavailableError",
    "TextDelta",
    "Timings",
    "load_settings",
]


if TYPE_CHECKING:
    from assistant.assistant import Assistant
    from assistant.config import Settings, load_settings
    from assistant.results import Answer, Citation, Passage, RemovedSentence, TextDelta, Timings

_RESULTS = {"Answer", "Citation", "Passage", "RemovedSentence", "TextDelta", "Timings"}


def __getattr__(name: str) -> object:
    # Loaded when first asked for: Assistant pulls in LlamaIndex and Chroma, the results and settings pydantic, and
    # importing any submodule (the `assistant` command does) runs this package first; `assistant --help` and
    # `assistant ingest` on unchanged files stay fast.
    if name in _RESULTS:
        from assistant import results

        return getattr(results, name)
    if name == "Assistant":
        from assistant.assistant import Assistant

        return Assistant
    if name in ("Settings", "load_settings"):
        from assistant import config

        return getattr(config, name)
    raise AttributeError(name)
