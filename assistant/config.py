"""Settings for every part of the assistant, read from the environment (prefix ``ASSISTANT_``, nested with ``__``)
and an optional ``.env`` file.

Examples::

    ASSISTANT_OLLAMA__HOST=http://192.168.1.5:11434
    ASSISTANT_OLLAMA__CHAT_MODEL=llama3.2:3b
    ASSISTANT_CHROMA__MODE=http ASSISTANT_CHROMA__PORT=8000

Build settings with :func:`load_settings`; nothing is read at import time.

The prompts, the Modelfile template and the seed document ship inside the package (``assistant/prompts``,
``assistant/modelfiles``, ``assistant/seeds``) and are found through :mod:`importlib.resources`, so an installed
wheel works from any directory; ``ASSISTANT_PROMPTS_DIR`` / ``ASSISTANT_SEEDS_DIR`` point at other folders.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError

# The source checkout (tests, benchmarks, eval sets); an installed package never reads from it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def package_data(name: str) -> Path:
    """A folder shipped in the package (``prompts``, ``seeds``, ``modelfiles``), as a path on disk.

    Wheels are installed unpacked, so the resource is a real directory; a zipped install is refused clearly.
    """
    found = resources.files("assistant").joinpath(name)
    path = Path(str(found))
    if not path.is_dir():
        raise ConfigError(f"The package data folder {name!r} is missing from {path.parent}: reinstall the package "
                          "(`pip install --force-reinstall grounded-assistant`) or set the folder in settings.")
    return path


def _expand_user(path: Path) -> Path:
    try:
        return path.expanduser()
    except RuntimeError as e:  # "~nosuchuser/..."
        raise ValueError(f"cannot expand ~ in {path}: {e}") from e


# A path setting: "~/notes" in the environment or .env means the home folder's, as in a shell.
UserPath = Annotated[Path, AfterValidator(_expand_user)]


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


class OllamaSettings(BaseModel):
    host: str = Field("http://127.0.0.1:11434", description="Ollama server URL; any host works.")
    chat_model: str = Field("smollm2-135m-grounded", description="Chat model name in Ollama.")
    embed_model: str = Field("all-minilm-l6-v2-local", description="Embedding model name in Ollama.")
    binary: UserPath | None = Field(None, description="An `ollama` binary to start when no server answers.")
    manage: bool = Field(True, description="Start (and if needed build) Ollama when no server answers.")
    create_bundled: bool = Field(True, description="Create the bundled models when they are missing.")
    request_timeout_s: float = Field(180.0, description="Timeout for one model request.")
    num_ctx: int = Field(2048, description="Context window (tokens) the prompt is fitted to.")
    temperature: float = Field(0.0, description="0 gives reproducible answers.")
    seed: int = Field(42, description="Sampling seed, for reproducible answers.")
    max_answer_tokens: int = Field(120, description="Upper bound on generated tokens per answer.")
    num_parallel: int = Field(
        1, ge=1, le=16,
        description="Request slots of an Ollama server this project starts (OLLAMA_NUM_PARALLEL); a server found "
        "running keeps its own. On 2 CPU cores four slots answered no more questions per minute than one "
        "(benchmarks/load_ui.py --slots 1 4 1 4); more help where decoding dominates (a GPU, longer answers).",
    )


class ChromaSettings(BaseModel):
    mode: Literal["embedded", "http"] = Field("embedded", description="Embedded PersistentClient or HTTP server.")
    path: UserPath | None = Field(None, description="Embedded index directory (default: <data_dir>/chroma).")
    host: str = Field("127.0.0.1", description="HTTP mode: `chroma run` host.")
    port: int = Field(8000, description="HTTP mode: `chroma run` port.")
    collection: str = Field("documents", description="Collection holding the passages.")
    search_ef: int = Field(
        512, ge=10, description="Candidates Chroma's HNSW search keeps per query (its ef_search; Chroma's default "
        "is 100). At 100 the search missed true nearest passages of 500-1,300-passage indexes, different ones from "
        "process to process, so the same question could get other passages in another run; at 512 it returned the "
        "exact top 20 on every eval corpus at no measurable cost. Applied to existing indexes when they are opened (a "
        "`chroma run` server searches with it once restarted).",
    )
    manifest_path: UserPath | None = Field(
        None,
        description="JSON manifest of indexed files, the commit point of every ingest (default: inside the embedded "
        "index directory; <data_dir>/index-manifests/<host>_<port>_<collection>.json in HTTP mode). Processes "
        "sharing an HTTP server must share this file.",
    )


class RetrievalSettings(BaseModel):
    top_k: int = Field(4, ge=1, le=50, description="Passages retrieved per question.")
    mode: Literal["hybrid", "dense"] = Field(
        "hybrid",
        description="hybrid: a BM25 ranking over exact terms (option names, paths, identifiers) fused with the "
        "embedding ranking by reciprocal rank fusion; dense: embeddings alone. Scores stay cosine similarities "
        "either way. Measured in benchmarks/bench_retrieval.py.",
    )
    chunk_chars: int = Field(700, ge=100, description="Target passage size in characters.")
    chunk_tokens: int = Field(
        256, ge=16, description="Most tokens a passage may have for the embedding model, counted with the bundled "
        "model's tokenizer (all-MiniLM-L6-v2 was trained on 256, context 512), else estimated at two bytes per "
        "token; keep it within the embedding model's context.",
    )
    embed_batch_size: int = Field(32, ge=1, description="Passages per embedding request.")
    max_file_mb: float = Field(20.0, gt=0, description="Larger files are refused by ingest, with a message.")


class AnswerSettings(BaseModel):
    unsupported: Literal["remove", "flag"] = Field(
        "remove", description="What to do with answer sentences no passage supports."
    )
    add_best_evidence: bool = Field(
        True, description="Append the best-matching passage sentence when the model's answer does not cite it."
    )
    evidence_first: bool = Field(
        True, description="Show the best-matching passage sentence (which the answer gets anyway) as soon as the gate "
        "has passed, before the model's verified sentences: the first words need no generated sentence. Model "
        "sentences that only restate it are left out.")
    min_coverage: float = Field(
        1.0, ge=0.0, le=1.0, description="Share of an answer sentence's content words its supporting passage "
        "sentence must hold (1.0: all; lower lets paraphrases through, and with them substituted words).")
    calibration: UserPath | None = Field(
        None, description="Gate and ranking weights fitted by `python -m assistant.fit` (default: the packaged fit).")
    stop_when_done: bool = Field(
        True, description="Stop the model once every part of the question has a verified sentence (or it keeps "
        "writing sentences that fail): no waiting for text that would be thrown away.")
    prompt_chars: int = Field(
        600, ge=100, description="Passage text shown to the model: its best-matching sentences up to this size.")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are rejected.")
    translate_questions: bool = Field(
        True, description="Read a question in another language than the passages found through Apertium, when an "
        "Apertium translation between the two is installed (see assistant/translation.py); otherwise it is refused "
        "saying the languages differ.")
    word_lists: list[UserPath] = Field(
        default_factory=lambda: [Path("/usr/share/dict/american-english-large"),
                                 Path("/usr/share/dict/british-english-large")],
        description="English word lists, one word per line (Debian's wamerican-large and wbritish-large): a "
        "question naming a word neither they nor the documents hold, nor a typo or shortening of the documents' "
        "words, is refused naming it (see assistant/lexicon.py). Empty, or none readable: no question is refused for "
        "that.")
    translation_timeout_s: float = Field(
        10.0, gt=0, description="Longest wait for one Apertium call (a question takes one or two, and a follow-up's "
        "previous question as many); past it the question is taken as untranslated.")


class UISettings(BaseModel):
    host: str = Field("127.0.0.1", description="Bind address; 127.0.0.1 keeps the UI local.")
    port: int = Field(7860, description="Port of the chat UI.")
    username: str | None = Field(None, description="Set with password to require a login.")
    password: SecretStr | None = Field(None, description="Password for `username`.")


class APISettings(BaseModel):
    host: str = Field("127.0.0.1", description="Bind address of `assistant serve-api`; 127.0.0.1 keeps it local.")
    port: int = Field(7861, description="Port of the OpenAI-compatible API (base URL http://host:port/v1).")
    model_id: str = Field("grounded-assistant", description="Model id /v1/models lists (the chat model is listed "
                          "too); requests naming either are answered by the grounded pipeline.")
    token: SecretStr | None = Field(None, description="When set, requests need `Authorization: Bearer <token>` "
                                    "(the openai client's api_key).")
    max_body_kb: int = Field(256, ge=1, description="Larger request bodies are refused with HTTP 413.")


class AskSettings(BaseModel):
    background_server: bool = Field(
        True, description="`assistant ask` hands its question to a background answer server of the same settings "
        "and code, and starts one (then waits for it) when none runs: later questions skip ~3 s of loading.")
    idle_exit_s: float = Field(900.0, gt=0, description="The background answer server stops after this many "
                               "seconds without a request.")


class EvalSettings(BaseModel):
    min_citation_validity: float = 1.0
    min_citation_recall: float = 0.9
    min_citation_precision: float = 0.85
    min_fact_recall: float = 0.8
    min_refusal_rate: float = 0.9
    max_false_refusal_rate: float = 0.1
    max_unsupported_entities: int = 0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: UserPath = Field(default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share") / "grounded-assistant")
    cache_dir: UserPath = Field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "assistant")
    seeds_dir: UserPath = Field(default_factory=lambda: package_data("seeds"),
                                description="Documents `assistant ui` indexes first (default: the bundled seed).")
    prompts_dir: UserPath = Field(default_factory=lambda: package_data("prompts"),
                                  description="Prompt templates (default: the ones shipped in the package).")
    ollama: OllamaSettings = OllamaSettings()
    chroma: ChromaSettings = ChromaSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    ui: UISettings = UISettings()
    api: APISettings = APISettings()
    ask: AskSettings = AskSettings()
    eval: EvalSettings = EvalSettings()

    @property
    def chroma_path(self) -> Path:
        return self.chroma.path or self.data_dir / "chroma"

    @property
    def ollama_models_dir(self) -> Path:
        return self.cache_dir / "ollama-models"


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment and ``.env``, with keyword overrides on top."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        raise ConfigError(f"Invalid settings: {e}") from e
