"""Errors the assistant raises, with messages a user can act on.

Library code raises these; the CLI turns them into exit codes and the UI into readable messages.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: every error the assistant raises on purpose is one of these."""


class ConfigError(AssistantError):
    """Settings or an input file (YAML, prompt template) are invalid."""


class ServerUnavailableError(AssistantError):
    """The Ollama server cannot be reached (down, wrong host, killed mid-answer)."""


class InputRejectedError(ServerUnavailableError):
    """The server answered but refused this input (e.g. a text longer than the embedding model's context)."""


class ServerStartError(AssistantError):
    """We tried to build or start Ollama and could not."""


class ModelNotFoundError(AssistantError):
    """The configured chat or embedding model is not present in Ollama."""


class StoreUnavailableError(AssistantError):
    """Chroma (embedded directory or HTTP server) cannot be opened."""


class EmptyIndexError(AssistantError):
    """The index holds no passages yet: run `assistant ingest` first."""


class InvalidQuestionError(AssistantError):
    """The question is empty, too long, or otherwise unusable."""


class IngestError(AssistantError):
    """A document could not be read or indexed (one file; the others go on)."""
