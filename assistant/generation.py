"""The chat model behind LlamaIndex's Ollama LLM: streaming tokens, usage counts, and errors a user can act on."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import httpx
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.config import Settings
from assistant.errors import ModelNotFoundError, ServerUnavailableError


def build_llm(settings: Settings) -> LLM:
    from llama_index.llms.ollama import Ollama

    o = settings.ollama
    return Ollama(
        model=o.chat_model,
        base_url=o.host,
        temperature=o.temperature,
        context_window=o.num_ctx,
        request_timeout=o.request_timeout_s,
        additional_kwargs={"seed": o.seed, "num_predict": o.max_answer_tokens},
        keep_alive="30m",
    )


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


def stream_reply(llm: LLM, system: str, user: str, usage: Usage) -> Generator[str, None, None]:
    """Text deltas of the model's reply; fills ``usage`` when the stream ends. Closing the generator closes the
    HTTP response, which makes Ollama stop generating."""
    import ollama

    messages = [ChatMessage(role=MessageRole.SYSTEM, content=system), ChatMessage(role=MessageRole.USER, content=user)]
    model = getattr(llm, "model", "?")
    host = getattr(llm, "base_url", "?")
    chunks = None
    try:
        chunks = llm.stream_chat(messages)
        for chunk in chunks:
            if chunk.delta:
                usage.completion_tokens += 1  # Ollama streams one token per chunk; the final count replaces this
                yield chunk.delta
            counts = (chunk.raw or {}).get("usage") if isinstance(chunk.raw, dict) else None
            if counts:
                usage.prompt_tokens = int(counts.get("prompt_tokens") or 0)
                usage.completion_tokens = int(counts.get("completion_tokens") or 0)
    except ollama.ResponseError as e:
        if e.status_code == 404:
            raise ModelNotFoundError(
                f"The chat model '{model}' is not in Ollama at {host}: run `assistant serve-model` to create the "
                f"bundled one, or `ollama pull {model}`, or set ASSISTANT_OLLAMA__CHAT_MODEL."
            ) from e
        raise ServerUnavailableError(f"Ollama at {host} failed to answer: {e.error}") from e
    except (ConnectionError, httpx.HTTPError) as e:
        raise ServerUnavailableError(
            f"Ollama is not reachable at {host} (or stopped mid-answer) — run `assistant serve-model` or set "
            "ASSISTANT_OLLAMA__HOST."
        ) from e
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
