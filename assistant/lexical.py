"""The lexical half of hybrid retrieval: a BM25 index over the live chunks, for the exact strings (option names,
paths, dotted and underscored identifiers, numbers) that dense embeddings rank poorly.

Tokens: text is split at whitespace; a token that joins word parts with punctuation (``--no-install-recommends``,
``/etc/apt/sources.list``, ``str.removeprefix``, ``x86_64``, ``3.11``) is indexed whole (lower-cased, unstemmed, so
the exact string matches) *and* as its parts; plain words are Snowball-stemmed; short operators (``<<-``, ``->``,
``==``) are kept, prose dashes and ellipses are not. General English stopwords are dropped (bm25s' English list;
never document vocabulary). The same function tokenises queries and chunks.

The index (built with ``bm25s``) is kept in one ``.npz`` file beside the manifest, tagged with the manifest's
``content_key`` (the set of live generations it covers). Ingest rebuilds it after every change, before it commits
the final manifest; a reader whose file is missing or built for other generations rebuilds it from the collection
(processes sharing a ``chroma run`` server) — see :class:`assistant.retrieval.Retriever`. The file also keeps every
chunk's terms, so a rebuild reads and tokenises only the chunks it has not seen (a chunk id names one text: see
:func:`assistant.manifest.generation_tag`); terms are numbered in sorted order, so an index built in steps is the
same as one built at once. ``FORMAT`` changes whenever :func:`tokenize` does, and terms are reused only under the
same versions of the libraries it uses (see ``_tokenizer_version``): kept terms would be stale.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.manifest import Manifest
from assistant.patterns import operator

if TYPE_CHECKING:
    from assistant.store import ChunkStore

_PART = re.compile(r"[^\W_]+")  # runs of letters and digits: '_' and punctuation separate parts
_LEAD = "\"'`([{<,;!?*“”‘’«»"
_TRAIL = _LEAD + ")]}>.:"
_MAX_WHOLE = 80  # longer runs are not terms anyone types (CJK text without spaces, base64, long URLs)
_MAX_PART = 40
FORMAT = 3


@functools.cache
def _tokenizer_version() -> str:
    """What :func:`tokenize` depends on besides ``FORMAT``: terms kept in a file are reused only under the same."""
    from importlib.metadata import version

    return f"bm25s {version('bm25s')}, snowballstemmer {version('snowballstemmer')}"


@functools.cache
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS)


@functools.cache
def _stemmer() -> Callable[[str], str]:
    import snowballstemmer

    stem = snowballstemmer.stemmer("english").stemWord
    return functools.lru_cache(maxsize=200_000)(stem)


def tokenize(text: str) -> list[str]:
    """BM25 terms of ``text``: compound technical tokens whole and in parts, plain words stemmed, stopwords out."""
    stop, stem = _stopwords(), _stemmer()
    out: list[str] = []
    for raw in text.lower().split():
        token = raw.lstrip(_LEAD).rstrip(_TRAIL)
        parts = _PART.findall(token)
        if not parts:
            op = operator(raw)  # "<<-", "->", "==", "&&"; not "--", "..."
            if op:
                out.append(op)
            continue
        compound = len(parts) > 1 or parts[0] != token
        if compound and len(token) <= _MAX_WHOLE and token not in stop:
            out.append(token)
        for part in parts:
            if part not in stop and len(part) <= _MAX_PART:
                out.append(stem(part) if part.isalpha() else part)
    return out


@dataclass(frozen=True)
class LexicalIndex:
    """BM25 scores of every (term, chunk) pair as a CSC matrix (one column per term), and the chunk ids.

    ``terms`` holds every chunk's term numbers in token order, chunk after chunk (chunk ``j``'s are
    ``terms[bounds[j]:bounds[j + 1]]``): what :func:`rebuild` reuses. :meth:`load` leaves them out unless asked.
    """

    key: str
    ids: tuple[str, ...]
    vocab: dict[str, int]
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    terms: np.ndarray | None = None
    bounds: np.ndarray | None = None

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], key: str) -> LexicalIndex:
        return cls.from_terms(ids, [tokenize(t) for t in texts], key)

    @classmethod
    def from_terms(cls, ids: Sequence[str], rows: Sequence[Sequence[str]], key: str) -> LexicalIndex:
        """The index of the chunks ``ids``, whose BM25 terms are ``rows``."""
        import bm25s

        vocab = {t: i for i, t in enumerate(sorted({t for row in rows for t in row}))}
        numbered = [[vocab[t] for t in row] for row in rows]
        bounds = np.zeros(len(rows) + 1, np.int64)
        np.cumsum([len(row) for row in numbered], out=bounds[1:])
        terms = np.fromiter(itertools.chain.from_iterable(numbered), np.int32, count=int(bounds[-1]))
        if not vocab:
            return cls(key, tuple(ids), {}, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int32),
                       terms, bounds)
        bm = bm25s.BM25(method="lucene")
        bm.index((numbered, vocab), show_progress=False)
        s = bm.scores
        return cls(key, tuple(ids), vocab, np.asarray(s["data"]), np.asarray(s["indices"]), np.asarray(s["indptr"]),
                   terms, bounds)

    def rows(self) -> dict[str, list[str]]:
        """Chunk id -> its terms (empty when this index was loaded without them)."""
        if self.terms is None or self.bounds is None:
            return {}
        words = np.array(sorted(self.vocab, key=self.vocab.__getitem__), dtype=object)
        b = self.bounds
        return {cid: words[self.terms[b[j]:b[j + 1]]].tolist() for j, cid in enumerate(self.ids)}

    def known_share(self, text: str) -> float | None:
        """Share of the terms of ``text`` that occur anywhere in the indexed chunks (None when it has none)."""
        terms = tokenize(text)
        return sum(t in self.vocab for t in terms) / len(terms) if terms else None

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """The ``n`` best (chunk id, BM25 score) pairs, best first; chunks sharing no term are left out."""
        terms = sorted({self.vocab[t] for t in tokenize(query) if t in self.vocab})
        if not terms or not self.ids:
            return []
        scores = np.zeros(len(self.ids), dtype=np.float32)
        for t in terms:
            start, end = self.indptr[t], self.indptr[t + 1]
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def save(self, path: Path) -> None:
        """Write atomically (temp file + rename): readers see the old index or the new one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        vocab = sorted(self.vocab, key=self.vocab.__getitem__)
        kept: dict[str, Any] = {} if self.terms is None else {
            "terms": self.terms, "bounds": self.bounds, "tokenizer": _pack([_tokenizer_version()])}
        fd, tmp = tempfile.mkstemp(prefix=".lexical-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, format=np.array(FORMAT), key=_pack([self.key]), ids=_pack(self.ids), vocab=_pack(vocab),
                         data=self.data, indices=self.indices, indptr=self.indptr, **kept)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: Path, with_terms: bool = False) -> LexicalIndex | None:
        """The index saved at ``path`` (with each chunk's terms when asked); None when there is none or it is
        unreadable (it is rebuilt then)."""
        try:
            with np.load(path, allow_pickle=False) as z:
                if int(z["format"]) != FORMAT:
                    return None
                vocab = _unpack(z["vocab"])
                reuse = with_terms and "terms" in z.files and _unpack(z["tokenizer"]) == [_tokenizer_version()]
                terms, bounds = (z["terms"], z["bounds"]) if reuse else (None, None)
                return cls(_unpack(z["key"])[0], tuple(_unpack(z["ids"])), {t: i for i, t in enumerate(vocab)},
                           z["data"], z["indices"], z["indptr"], terms, bounds)
        except (OSError, ValueError, KeyError, IndexError):
            return None


def _pack(strings: Sequence[str]) -> np.ndarray:
    # Tokens and ids never contain a newline; one byte array stays small where a fixed-width str array would not.
    return np.frombuffer("\n".join(strings).encode(), dtype=np.uint8)


def _unpack(arr: np.ndarray) -> list[str]:
    text = arr.tobytes().decode()
    return text.split("\n") if text else []


def rebuild(store: ChunkStore, manifest: Manifest, path: Path | None) -> LexicalIndex:
    """Build the index over the live chunks in ``store`` and save it at ``path`` (when given). The chunks of the
    index already saved there keep their terms: only the others are read from the store and tokenised."""
    previous = LexicalIndex.load(path, with_terms=True) if path is not None else None
    known = previous.rows() if previous is not None else {}
    wanted = manifest.chunk_ids()
    rows = {cid: known[cid] for cid in wanted if cid in known}
    ids, texts = store.texts([cid for cid in wanted if cid not in rows])
    rows.update(zip(ids, map(tokenize, texts), strict=True))
    order = sorted(rows)
    index = LexicalIndex.from_terms(order, [rows[cid] for cid in order], manifest.content_key)
    if path is not None:
        index.save(path)
    return index
