"""Grounded, local-first document assistant: answers from your documents, every sentence checked against the
passage it cites."""

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
from assistant.results import Answer, Citation, Passage, RemovedSentence, TextDelta, Timings

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


def __getattr__(name: str) -> object:
    # Assistant pulls in LlamaIndex and Chroma; load them only when asked for, so `assistant doctor` and
    # `assistant ingest` on unchanged files start fast.
    if name == "Assistant":
        from assistant.assistant import Assistant

        return Assistant
    if name in ("Settings", "load_settings"):
        from assistant import config

        return getattr(config, name)
    raise AttributeError(name)
