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

Hybrid mode (``retrieval.mode``, the default): the query's BM25 ranking (:mod:`assistant.lexical`, looked up while
the query is being embedded) and the dense ranking, ``max(k, 20)`` live candidates each, are merged by reciprocal
rank fusion; the top ``k`` come back in fused order, always holding each ranking's first passage (with the usual
constant, two passages both rankings place fairly high outrank one that a single ranking puts first, which could
leave out the passage an exact option or a close paraphrase found). ``Passage.score`` stays the cosine similarity
— computed from the stored embedding for a passage only BM25 found — because the refusal gate reads it as a
calibrated signal.

Identical content under several paths is stored once (see :mod:`assistant.manifest`): a passage names the path
its chunks were stored under while that path is indexed, else the first other location; :meth:`Retriever.locations`
lists them all.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.errors import EmptyIndexError, InvalidQuestionError
from assistant.manifest import Manifest, Signature, lexical_path, manifest_path, read_manifest, signature
from assistant.results import IndexedDocument, Passage
from assistant.store import ChunkStore, page_fields

if TYPE_CHECKING:
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import NodeWithScore

    from assistant.lexical import LexicalIndex
    from assistant.lexicon import CorpusTerms

_ATTEMPTS = 5
_EMPTY_MESSAGE = ("The index has no passages yet — add documents with `assistant ingest <files or folders>`, or under "
                  "Documents in the chat.")
FUSION_POOL = 20  # candidates each ranking brings to the fusion (at least k)
RRF_K = 60  # the usual reciprocal rank fusion constant: rank r counts 1 / (60 + r)


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = RRF_K) -> list[str]:
    """Ids of all rankings ordered by the sum of ``1 / (k + rank)`` (rank from 1); ties keep first-seen order."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda i: -scores[i])


def fused_top(rankings: Sequence[Sequence[str]], n: int, k: int = RRF_K) -> list[str]:
    """The ``n`` best of the fused order that hold each ranking's first item, in fused order (with fewer places than
    rankings, the first items the fused order ranks best)."""
    order = reciprocal_rank_fusion(rankings, k)
    chosen = {ranking[0] for ranking in rankings if ranking}
    for item in order:
        if len(chosen) >= n:
            break
        chosen.add(item)
    return [i for i in order if i in chosen][:n]


@dataclass(frozen=True)
class _Lexical:
    """BM25 candidates found against one manifest: (id, score) best first, and their stored records."""

    signature: Signature | None
    hits: list[tuple[str, float]]
    records: dict[str, tuple[str, dict[str, Any], list[float]]]


class Retriever:
    """Top-k live passages for a query: ``retrieve`` / ``aretrieve``, ``count`` of passages a query can see, and
    ``locations`` of a document indexed under several paths."""

    def __init__(self, embedder: Embedder, settings: Settings, store: ChunkStore | None = None) -> None:
        self.embedder = embedder
        self.settings = settings
        self.manifest_path: Path = manifest_path(settings)
        self.hybrid = settings.retrieval.mode == "hybrid"
        self._store = store
        self._index: VectorStoreIndex | None = None
        self._manifest = Manifest()
        self._signature: Signature | None = None
        self._store_signature: Signature | None = None  # the manifest the store view was opened after
        self._loaded = False
        self._lexical: LexicalIndex | None = None
        self._lexical_file: Signature | None = None  # the lexical index file last read
        self._terms: tuple[str, CorpusTerms] | None = None  # the terms of the lexical index, by its key
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.RLock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Retriever:
        return cls(Embedder.from_settings(settings), settings)

    def count(self) -> int:
        """Passages a query can return now (live chunks of indexed documents)."""
        manifest, _ = self._snapshot(open_store=False)
        return manifest.total_chunks

    def documents(self) -> list[IndexedDocument]:
        """The indexed documents by path; identical content under several paths is listed under each."""
        manifest, _ = self._snapshot(open_store=False)
        return [IndexedDocument(source=source, title=entry.title, passages=entry.chunks, hash=entry.hash)
                for source, entry in sorted(manifest.documents.items())]

    def locations(self, source: str) -> list[str]:
        """Every indexed path holding the same content as ``source`` (itself included); empty when not indexed."""
        manifest, _ = self._snapshot(open_store=False)
        entry = manifest.documents.get(source)
        return list(manifest.locations(entry.generation)) if entry else []

    def known_share(self, query: str) -> float | None:
        """Share of the query's terms found anywhere in the indexed documents: a question about things the corpus
        never names scores low. None in dense mode or on an empty index."""
        with self._lock:
            index = self._current_lexical()
            return index.known_share(query) if index is not None else None

    def terms(self) -> CorpusTerms | None:
        """Every term of the indexed documents (see :mod:`assistant.lexicon`). None in dense mode or on an empty
        index."""
        from assistant.lexicon import CorpusTerms

        with self._lock:
            index = self._current_lexical()
            if index is None:
                return None
            if self._terms is None or self._terms[0] != index.key:
                self._terms = (index.key, CorpusTerms(index.vocab))
            return self._terms[1]

    def _current_lexical(self) -> LexicalIndex | None:
        """The BM25 index of the documents indexed now (the caller holds the lock); None in dense mode or on an empty
        index."""
        if not self.hybrid:
            return None
        manifest, _ = self._snapshot(open_store=True)
        return self._lexical_index(manifest) if manifest.documents else None

    def retrieve(self, query: str, k: int | None = None) -> list[Passage]:
        """The ``k`` (default ``settings.retrieval.top_k``) best passages for ``query``, best first."""
        k = self._check(query, k)
        if not self.hybrid:
            return self._search(query, self.embedder.embed_query(query), k, None)
        if self._pool is None:
            self._snapshot(open_store=True)  # first query: import and open Chroma here, not in the worker thread
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lexical")
        lexical = self._pool.submit(self._lexical_candidates, query, max(k, FUSION_POOL))
        embedding = self.embedder.embed_query(query)  # the BM25 lookup runs meanwhile
        return self._search(query, embedding, k, lexical.result())

    async def aretrieve(self, query: str, k: int | None = None) -> list[Passage]:
        k = self._check(query, k)
        lexical = None
        if self.hybrid:
            # Embedded Chroma has no async API; keep the event loop free while it searches.
            embedding, lexical = await asyncio.gather(
                self.embedder.aembed_query(query),
                asyncio.to_thread(self._lexical_candidates, query, max(k, FUSION_POOL)),
            )
        else:
            embedding = await self.embedder.aembed_query(query)
        return await asyncio.to_thread(self._search, query, embedding, k, lexical)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._store is not None:
            self._store.close()

    def _check(self, query: str, k: int | None) -> int:
        if not query.strip():
            raise InvalidQuestionError("The question is empty.")
        if self.count() == 0:  # before embedding: an empty index needs no model server
            raise EmptyIndexError(_EMPTY_MESSAGE)
        return max(1, k or self.settings.retrieval.top_k)

    def _search(self, query: str, embedding: list[float], k: int, lexical: _Lexical | None) -> list[Passage]:
        passages: list[Passage] = []
        for _ in range(_ATTEMPTS):
            # Held through the query: a concurrent call must not reopen the store under a running search.
            with self._lock:
                manifest, before = self._snapshot(open_store=True)
                if not manifest.documents:
                    raise EmptyIndexError(_EMPTY_MESSAGE)
                if self.hybrid:
                    n = max(k, FUSION_POOL)
                    dense = self._live_nearest(query, embedding, n, manifest)
                    if lexical is None or lexical.signature != before:
                        lexical = self._lexical_locked(query, n, manifest, before)
                    passages = _fuse(dense, lexical, embedding, manifest, k)
                else:
                    passages = self._live_nearest(query, embedding, k, manifest)
            if signature(self.manifest_path) == before:
                return passages
        # An ingest committed during every attempt; the last result is still consistent with one manifest.
        return passages

    def _live_nearest(self, query: str, embedding: list[float], k: int, manifest: Manifest) -> list[Passage]:
        from llama_index.core.schema import QueryBundle

        assert self._index is not None and self._store is not None
        bundle = QueryBundle(query_str=query, embedding=embedding)
        n = k + 8  # a margin for chunks that are not live (rare: only while an ingest replaces a document)
        while True:
            retriever = self._index.as_retriever(similarity_top_k=n)
            nodes = self._store.run(partial(retriever.retrieve, bundle))
            live = [p for node in nodes if (p := _passage(node, manifest)) is not None]
            if len(live) >= k or len(nodes) < n:
                return live[:k]
            n *= 4

    def _lexical_candidates(self, query: str, n: int) -> _Lexical:
        with self._lock:
            manifest, sig = self._snapshot(open_store=True)
            return self._lexical_locked(query, n, manifest, sig)

    def _lexical_locked(self, query: str, n: int, manifest: Manifest, sig: Signature | None) -> _Lexical:
        if not manifest.documents:
            return _Lexical(sig, [], {})
        assert self._store is not None
        index = self._lexical_index(manifest)
        hits = [(i, s) for i, s in index.search(query, 2 * n) if manifest.is_live(_generation(i))][:n]
        return _Lexical(sig, hits, self._store.get([i for i, _ in hits]))

    def _lexical_index(self, manifest: Manifest) -> LexicalIndex:
        """The BM25 index for ``manifest``: kept in memory, else read from beside the manifest, else rebuilt."""
        from assistant.lexical import LexicalIndex, rebuild

        key = manifest.content_key
        if self._lexical is not None and self._lexical.key == key:
            return self._lexical
        path = lexical_path(self.manifest_path)
        sig = signature(path)
        if sig is not None and sig != self._lexical_file:
            self._lexical_file = sig
            self._lexical = LexicalIndex.load(path) or self._lexical
        # While an ingest runs (dirty) a slightly older index is fine: hits are filtered to live chunks, and the
        # ingest rewrites the file before it commits. Otherwise the file is missing or for other generations
        # (another process changed the index without writing it): rebuild from the collection.
        if self._lexical is None or (self._lexical.key != key and not manifest.dirty):
            assert self._store is not None
            try:
                self._lexical = rebuild(self._store, manifest, path)
                self._lexical_file = signature(path)
            except OSError:  # a read-only data directory: keep the index in memory
                self._lexical = rebuild(self._store, manifest, None)
        return self._lexical

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
    # Nothing is inserted through this index (ingest chunks and embeds on its own), so its only transformation is
    # the embedding model; left unset, LlamaIndex builds its default sentence splitter, which loads tiktoken's
    # 100k-token OpenAI vocabulary (0.4-0.7 s) that nothing here uses.
    return VectorStoreIndex.from_vector_store(vector_store, embed_model=embedder.model,
                                              transformations=[embedder.model])


def _generation(chunk_id: str) -> str:
    return chunk_id.split(":", 1)[0]


def _fuse(dense: list[Passage], lexical: _Lexical, embedding: list[float], manifest: Manifest,
          k: int) -> list[Passage]:
    """The top ``k`` of the dense and BM25 rankings fused; BM25-only passages scored by cosine like the rest."""
    by_id = {p.id: p for p in dense}
    unscored: dict[str, Passage] = {}  # BM25-only passages; the cosine is worked out for the chosen ones only
    for chunk_id, _ in lexical.hits:
        if chunk_id not in by_id and chunk_id in lexical.records:
            text, meta, _ = lexical.records[chunk_id]
            if (passage := _make_passage(chunk_id, text, meta, 0.0, manifest)) is not None:
                unscored[chunk_id] = passage
    rankings = [[p.id for p in dense], [i for i, _ in lexical.hits if i in by_id or i in unscored]]
    return [by_id.get(i) or unscored[i].model_copy(update={"score": _cosine(embedding, lexical.records[i][2])})
            for i in fused_top(rankings, k)]


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def _passage(node: NodeWithScore, manifest: Manifest) -> Passage | None:
    """The node as a Passage, or None when it is not live (superseded, orphaned, or not one of our records)."""
    if not node.score:
        return None
    # LlamaIndex's Chroma store reports exp(-distance); undo it to get the cosine similarity 1 - distance.
    return _make_passage(node.node.node_id, node.node.get_content(), node.node.metadata, 1.0 + math.log(node.score),
                         manifest)


def _make_passage(chunk_id: str, text: str, meta: dict[str, Any], score: float, manifest: Manifest) -> Passage | None:
    """A stored chunk as a Passage naming a live location of its document; None when the chunk is not live."""
    generation = str(meta.get("generation"))
    if not manifest.is_live(generation) or "start" not in meta:
        return None
    source = str(meta.get("source"))
    entry = manifest.documents.get(source)
    if entry is None or entry.generation != generation:  # stored under a path since pruned or changed
        source = manifest.locations(generation)[0]
        entry = manifest.documents[source]
    return Passage(
        id=chunk_id,
        text=text,
        source=source,
        title=entry.title or str(meta.get("title", "")),
        start=int(meta["start"]),
        end=int(meta["end"]),
        chunk_index=int(meta.get("chunk_index", 0)),
        doc_hash=str(meta.get("doc_hash", "")),
        score=score,
        **page_fields(meta),
    )
