"""Query → scored passages from the index, through LlamaIndex with the Ollama embedding model passed explicitly.

``Passage.score`` is the cosine similarity ``1 - cosine distance`` (in [-1, 1], higher is closer), comparable across
queries. Only *live* chunks are returned — those whose generation the index manifest names for their source (see
:mod:`assistant.manifest`) — so a query never mixes a document's old and new versions while it is being replaced,
and never sees chunks an interrupted ingest left behind.

How the filter is honoured: the nearest ``k + margin`` chunks are fetched through LlamaIndex's
``VectorIndexRetriever`` and filtered against the manifest (non-live chunks exist only briefly, so a server-side
``$in`` filter over every live generation would cost every query for nothing); if too few are live, more are
fetched. The manifest is checked before and after the query; if an ingest switched it in between, the query is
repeated against the new manifest.
"""

from __future__ import annotations

import asyncio
import math
import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.errors import EmptyIndexError, InvalidQuestionError
from assistant.manifest import Manifest, Signature, manifest_path, read_manifest, signature
from assistant.results import Passage
from assistant.store import ChunkStore

if TYPE_CHECKING:
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import NodeWithScore

_ATTEMPTS = 5
_EMPTY_MESSAGE = "The index has no passages yet — add documents with `assistant ingest <files or folders>`."


class Retriever:
    """Top-k live passages for a query: ``retrieve`` / ``aretrieve``, and ``count`` of passages a query can see."""

    def __init__(self, embedder: Embedder, settings: Settings, store: ChunkStore | None = None) -> None:
        self.embedder = embedder
        self.settings = settings
        self.manifest_path: Path = manifest_path(settings)
        self._store = store
        self._index: VectorStoreIndex | None = None
        self._manifest = Manifest()
        self._signature: Signature | None = None
        self._store_signature: Signature | None = None  # the manifest the store view was opened after
        self._loaded = False
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Retriever:
        return cls(Embedder.from_settings(settings), settings)

    def count(self) -> int:
        """Passages a query can return now (live chunks of indexed documents)."""
        manifest, _ = self._snapshot(open_store=False)
        return manifest.total_chunks

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        """The ``k`` (default ``settings.retrieval.top_k``) passages nearest to ``query``, nearest first."""
        k = self._check(query, k)
        return self._search(query, self.embedder.embed_query(query), k)

    async def aretrieve(self, query: str, k: int | None = None) -> list[Passage]:
        k = self._check(query, k)
        embedding = await self.embedder.aembed_query(query)
        # Embedded Chroma has no async API; keep the event loop free while it searches.
        return await asyncio.to_thread(self._search, query, embedding, k)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def _check(self, query: str, k: int | None) -> int:
        if not query.strip():
            raise InvalidQuestionError("The question is empty.")
        if self.count() == 0:  # before embedding: an empty index needs no model server
            raise EmptyIndexError(_EMPTY_MESSAGE)
        return max(1, k or self.settings.retrieval.top_k)

    def _search(self, query: str, embedding: list[float], k: int) -> list[Passage]:
        passages: list[Passage] = []
        for _ in range(_ATTEMPTS):
            # Held through the query: a concurrent call must not reopen the store under a running search.
            with self._lock:
                manifest, before = self._snapshot(open_store=True)
                if not manifest.documents:
                    raise EmptyIndexError(_EMPTY_MESSAGE)
                passages = self._live_nearest(query, embedding, k, manifest)
            if signature(self.manifest_path) == before:
                return passages
        # An ingest committed during every attempt; the last result is still consistent with one manifest.
        return passages

    def _live_nearest(self, query: str, embedding: list[float], k: int, manifest: Manifest) -> list[Passage]:
        from llama_index.core.schema import QueryBundle

        assert self._index is not None and self._store is not None
        bundle = QueryBundle(query_str=query, embedding=embedding)
        n = k + max(k, 8)
        while True:
            retriever = self._index.as_retriever(similarity_top_k=n)
            nodes = self._store.run(partial(retriever.retrieve, bundle))
            live = [p for node in nodes if (p := _passage(node, manifest)) is not None]
            if len(live) >= k or len(nodes) < n:
                return live[:k]
            n *= 4

    def _snapshot(self, open_store: bool) -> tuple[Manifest, Signature | None]:
        """The current manifest; reloads it (and, in embedded mode, this process's view of Chroma) when replaced."""
        with self._lock:
            sig = signature(self.manifest_path)
            if sig != self._signature or not self._loaded:
                self._manifest = read_manifest(self.manifest_path)
                self._signature = sig
                self._loaded = True
            if open_store and self._manifest.documents:
                if self._store is None:
                    self._store = ChunkStore.open(self.settings)
                    self._index = None
                elif sig != self._store_signature:
                    self._store.reopen()  # writes by an ingest in another process become visible
                    self._index = None
                self._store_signature = sig
                if self._index is None:
                    self._index = _llama_index(self._store, self.embedder)
            return self._manifest, sig


def _llama_index(store: ChunkStore, embedder: Embedder) -> VectorStoreIndex:
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    vector_store = ChromaVectorStore(chroma_collection=store.collection)
    return VectorStoreIndex.from_vector_store(vector_store, embed_model=embedder.model)


def _passage(node: NodeWithScore, manifest: Manifest) -> Passage | None:
    """The node as a Passage, or None when it is not live (superseded, orphaned, or not one of our records)."""
    meta: dict[str, Any] = node.node.metadata
    if not manifest.is_live(str(meta.get("source")), str(meta.get("generation"))) or not node.score:
        return None
    return Passage(
        id=node.node.node_id,
        text=node.node.get_content(),
        source=str(meta["source"]),
        title=str(meta.get("title", "")),
        start=int(meta["start"]),
        end=int(meta["end"]),
        chunk_index=int(meta.get("chunk_index", 0)),
        doc_hash=str(meta.get("doc_hash", "")),
        page=int(meta["page"]) if meta.get("page") is not None else None,
        # LlamaIndex's Chroma store reports exp(-distance); undo it to get the cosine similarity 1 - distance.
        score=1.0 + math.log(node.score),
    )
