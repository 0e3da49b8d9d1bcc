"""Chroma, embedded (``PersistentClient``) or over HTTP (``chroma run``), behind one small interface.

One collection per index, created with the cosine space: Chroma reports cosine *distance* ``d`` and passages are
scored ``1 - d``, the cosine similarity, so scores are comparable across queries and ``min_score`` means the same
for every question. Each record is one chunk: id ``<generation>:<chunk index>``, the passage text as the document,
and metadata ``source, title, start, end, chunk_index, doc_hash, generation`` (see :mod:`assistant.manifest`).

Embedded Chroma is single-process: a process does not see another process's writes until it reopens the index,
which :class:`~assistant.retrieval.Retriever` does whenever the manifest changes. Use HTTP mode when several
processes write.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from assistant.config import Settings
from assistant.errors import AssistantError, StoreUnavailableError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

T = TypeVar("T")
log = logging.getLogger(__name__)
METADATA_KEYS = ("source", "title", "start", "end", "chunk_index", "doc_hash", "generation")


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk ready to store: its text, embedding and the metadata that makes it a Passage again."""

    id: str
    text: str
    embedding: Sequence[float]
    source: str
    title: str
    start: int
    end: int
    chunk_index: int
    doc_hash: str
    generation: str
    page: int | None = None
    page_label: str | None = None

    def metadata(self) -> dict[str, str | int]:
        meta: dict[str, str | int] = {k: getattr(self, k) for k in METADATA_KEYS}
        if self.page is not None:  # Chroma metadata holds no nulls; documents without pages leave the key out
            meta["page"] = self.page
        if self.page_label:
            meta["page_label"] = self.page_label
        return meta


def page_fields(meta: Mapping[str, Any]) -> dict[str, Any]:
    """``page`` and ``page_label`` of a passage, as :meth:`ChunkRecord.metadata` stored them (left out: None)."""
    return {"page": int(meta["page"]) if meta.get("page") is not None else None,
            "page_label": str(meta["page_label"]) if meta.get("page_label") else None}


def describe(settings: Settings) -> str:
    c = settings.chroma
    if c.mode == "http":
        return f"Chroma server at http://{c.host}:{c.port}"
    return f"Chroma index at {settings.chroma_path}"


def _unavailable(settings: Settings, e: BaseException, action: str = "open") -> StoreUnavailableError:
    c = settings.chroma
    if action != "open":
        hint = "see the error above; `assistant ingest` rebuilds what an interrupted run left behind"
    elif c.mode == "http":
        hint = (
            f"start one with `chroma run --path <dir> --host {c.host} --port {c.port}`, or set "
            "ASSISTANT_CHROMA__MODE=embedded"
        )
    else:
        hint = "check that the directory is writable and was made by this Chroma version, or set ASSISTANT_CHROMA__PATH"
    return StoreUnavailableError(f"Cannot {action} the {describe(settings)} ({type(e).__name__}: {e}) — {hint}.")


def _search_ef(collection: Collection) -> int | None:
    hnsw = (collection.configuration_json or {}).get("hnsw") or {}
    return hnsw.get("ef_search")


def _set_search_ef(collection: Collection, settings: Settings) -> None:
    """Give an existing collection the configured ``search_ef``. Best effort: while another process ingests, the write
    may find the database locked (the search then keeps the old value until the next open tries again). A ``chroma
    run`` server stores the value at once but searches with the one it loaded until it restarts."""
    ef = settings.chroma.search_ef
    try:
        collection.modify(configuration={"hnsw": {"ef_search": ef}})
    except Exception as e:  # any Chroma failure: the index works as before, only less exact
        log.warning("Chroma search_ef stays %s for now (%s: %s); it is set on a later open", _search_ef(collection),
                    type(e).__name__, e)
        return
    if settings.chroma.mode == "http":
        log.warning("the Chroma collection %s now keeps search_ef %s; restart the `chroma run` server for its search "
                    "to use it (until then it misses some nearest passages)", settings.chroma.collection, ef)


class ChunkStore:
    """The chunk collection. Every Chroma failure surfaces as StoreUnavailableError."""

    def __init__(self, client: ClientAPI, collection: Collection, settings: Settings) -> None:
        self.client = client
        self.collection = collection
        self.settings = settings

    @classmethod
    def open(cls, settings: Settings) -> ChunkStore:
        """Open (creating if needed) the configured collection."""
        try:
            client = _client(settings)
            ef = settings.chroma.search_ef
            collection = client.get_or_create_collection(
                settings.chroma.collection,
                configuration={"hnsw": {"space": "cosine", "ef_search": ef}},
                embedding_function=None,  # we always pass embeddings; Chroma must never embed (or download) itself
            )
            if _search_ef(collection) != ef:  # made before this setting, or with another value
                _set_search_ef(collection, settings)
        except AssistantError:
            raise
        except Exception as e:
            raise _unavailable(settings, e) from e
        return cls(client, collection, settings)

    def reopen(self) -> None:
        """Embedded mode: drop this process's cached view so writes made by other processes become visible."""
        if self.settings.chroma.mode != "embedded":
            return
        self.close()
        fresh = ChunkStore.open(self.settings)
        self.client, self.collection = fresh.client, fresh.collection

    def close(self) -> None:
        close = getattr(self.client, "close", None)  # ClientAPI does not declare close(); Client has it
        # Closing is best effort; the next open reports real problems.
        with contextlib.suppress(Exception):
            if close is not None:
                close()

    def add(self, records: Sequence[ChunkRecord]) -> None:
        """Write records (upsert: an interrupted ingest's leftovers with the same ids are overwritten)."""
        if not records:
            return
        vectors: list[Sequence[float]] = [r.embedding for r in records]
        self.run(
            lambda: self.collection.upsert(
                ids=[r.id for r in records],
                embeddings=vectors,
                documents=[r.text for r in records],
                metadatas=[r.metadata() for r in records],  # type: ignore[misc]
            )
        )

    def delete_except(self, generations: Iterable[str]) -> None:
        """Delete every chunk whose generation is not in ``generations`` (superseded versions, orphans)."""
        keep = sorted(set(generations))
        where: dict[str, Any] = {"generation": {"$nin": keep}} if keep else {"chunk_index": {"$gte": 0}}
        self.run(lambda: self.collection.delete(where=where))  # type: ignore[arg-type]

    def count(self) -> int:
        """Records in the collection, live or not."""
        return int(self.run(self.collection.count))

    def query(self, embedding: Sequence[float], n: int) -> list[tuple[str, str, dict[str, Any], float]]:
        """(id, text, metadata, cosine distance) of the ``n`` nearest records, nearest first."""
        res = self.run(
            lambda: self.collection.query(
                query_embeddings=[embedding], n_results=n, include=["documents", "metadatas", "distances"]
            )
        )
        docs, metas, dists = res["documents"], res["metadatas"], res["distances"]
        assert docs is not None and metas is not None and dists is not None
        return [(i, d or "", dict(m or {}), float(x)) for i, d, m, x in zip(res["ids"][0], docs[0], metas[0],
                                                                            dists[0], strict=True)]

    def get(self, ids: Sequence[str]) -> dict[str, tuple[str, dict[str, Any], list[float]]]:
        """id -> (text, metadata, embedding) of the records with these ids (missing ids are left out)."""
        if not ids:
            return {}
        res = self.run(lambda: self.collection.get(ids=list(ids), include=["documents", "metadatas", "embeddings"]))
        docs, metas, vecs = res["documents"], res["metadatas"], res["embeddings"]
        assert docs is not None and metas is not None and vecs is not None
        return {i: (d or "", dict(m or {}), [float(x) for x in v])
                for i, d, m, v in zip(res["ids"], docs, metas, vecs, strict=True)}

    def texts(self, ids: Sequence[str], page: int = 2000) -> tuple[list[str], list[str]]:
        """(ids, texts) of the stored chunks with these ids (missing ids are left out), sorted by id; read ``page``
        records at a time."""
        found: list[tuple[str, str]] = []
        for offset in range(0, len(ids), page):
            res = self.run(partial(self.collection.get, ids=list(ids[offset:offset + page]), include=["documents"]))
            docs = res["documents"]
            assert docs is not None
            found.extend((i, d or "") for i, d in zip(res["ids"], docs, strict=True))
        found.sort()
        return [i for i, _ in found], [t for _, t in found]

    def run(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` (which uses Chroma), turning Chroma's failures into StoreUnavailableError."""
        try:
            return fn()
        except AssistantError:
            raise
        except Exception as e:
            raise _unavailable(self.settings, e, action="use") from e


def _client(settings: Settings) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaConfig

    # Local-first: no anonymous usage reports leave the machine.
    config = ChromaConfig(anonymized_telemetry=False)
    c = settings.chroma
    if c.mode == "http":
        return chromadb.HttpClient(host=c.host, port=c.port, settings=config)
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=config)
