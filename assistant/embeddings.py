"""The Ollama embedding model, passed explicitly to LlamaIndex, with Ollama's failures turned into AssistantErrors.

Ingest and retrieval embed through the same :class:`Embedder`, so passages and queries share one model and one
normalisation (Ollama's ``/api/embed`` returns unit vectors; cosine distance is what the index uses).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from assistant.config import Settings
from assistant.errors import AssistantError, InputRejectedError, ModelNotFoundError, ServerUnavailableError
from assistant.text import unticked

if TYPE_CHECKING:
    from llama_index.embeddings.ollama import OllamaEmbedding

T = TypeVar("T")


class Embedder:
    """Batched passage embeddings and query embeddings (+ async twins) from the configured Ollama model."""

    def __init__(self, model: OllamaEmbedding, host: str, batch_size: int) -> None:
        self.model = model
        self.host = host
        self.batch_size = batch_size

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        from llama_index.embeddings.ollama import OllamaEmbedding

        o = settings.ollama
        model = OllamaEmbedding(
            model_name=o.embed_model,
            base_url=o.host,
            embed_batch_size=settings.retrieval.embed_batch_size,
            client_kwargs={"timeout": o.request_timeout_s},
        )
        return cls(model, o.host, settings.retrieval.embed_batch_size)

    @property
    def model_name(self) -> str:
        return self.model.model_name

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """One embedding per text, sent to Ollama ``batch_size`` texts per request."""
        out: list[list[float]] = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i : i + self.batch_size])
            out.extend(self._call(partial(self.model.get_general_text_embeddings, batch)))
        return out

    def embed_query(self, query: str) -> list[float]:
        """The query's embedding, read without its backticks (see :func:`~assistant.text.unticked`)."""
        return self._call(lambda: self.model.get_query_embedding(unticked(query)))

    async def aembed_query(self, query: str) -> list[float]:
        return await self._acall(lambda: self.model.aget_query_embedding(unticked(query)))

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except Exception as e:
            raise self._translate(e) from e

    async def _acall(self, fn: Callable[[], Awaitable[T]]) -> T:
        try:
            return await fn()
        except Exception as e:
            raise self._translate(e) from e

    def _translate(self, e: Exception) -> Exception:
        return ollama_error(e, self.host, self.model_name)


def ollama_error(e: Exception, host: str, model: str) -> Exception:
    """The AssistantError for an exception from the Ollama client (the exception itself when it is not Ollama's)."""
    import httpx
    from ollama import ResponseError

    if isinstance(e, AssistantError):
        return e
    if isinstance(e, ResponseError):
        msg = str(e.error)
        if e.status_code == 404 or "not found" in msg:
            return ModelNotFoundError(
                f"The embedding model '{model}' is not available in Ollama at {host} — run "
                "`assistant serve-model` to create the bundled models, or set ASSISTANT_OLLAMA__EMBED_MODEL."
            )
        if "does not support embeddings" in msg:
            return ModelNotFoundError(
                f"'{model}' at {host} is not an embedding model — set ASSISTANT_OLLAMA__EMBED_MODEL to one."
            )
        if e.status_code == 400:  # this input, not the server: other texts may still embed
            return InputRejectedError(f"Ollama at {host} refused to embed the text ({e.status_code}: {msg}).")
        return ServerUnavailableError(f"Ollama at {host} failed to embed text ({e.status_code}: {msg}).")
    if isinstance(e, ConnectionError | httpx.TransportError):
        return ServerUnavailableError(
            f"Ollama is not reachable at {host} ({type(e).__name__}) — run `assistant serve-model` or set "
            "ASSISTANT_OLLAMA__HOST."
        )
    return e
