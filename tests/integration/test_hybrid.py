"""Identical content indexed once, and hybrid (BM25 + dense) retrieval kept in step with ingest — against the real
Ollama embedding model and real Chroma, embedded and over HTTP."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.ingest import run_ingest
from assistant.lexical import LexicalIndex
from assistant.manifest import lexical_path, manifest_path, read_manifest
from assistant.retrieval import FUSION_POOL, Retriever, fused_top
from assistant.store import ChunkStore

pytestmark = pytest.mark.integration

SEED_NAME = "000_9ff6f013cf416a85.txt"
# Paragraphs close in meaning to the question below but sharing none of its terms, and one off-topic paragraph that
# holds the exact option the question asks about.
DECOYS = [
    "Adding software to a Debian machine goes through the package manager, which fetches archives from mirrors.",
    "The package manager resolves dependencies before it unpacks anything onto the system.",
    "Optional extras pulled in by a package can make a small server image grow quickly.",
    "Keeping a container image lean means fetching only what a program strictly needs.",
    "Software that a package merely suggests is left out unless you ask for it.",
    "Upgrades through the package manager keep configuration files that you changed.",
]
TARGET = "Weekend garden diary: tomatoes ripened early; --no-install-recommends was written on the shed door."
QUESTION = "What does --no-install-recommends do?"


def ingest(settings: Settings, *paths: Path, prune: bool = False):  # type: ignore[no-untyped-def]
    return run_ingest(list(paths), settings, prune=prune, console=None)


def with_mode(settings: Settings, mode: str) -> Settings:
    return settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"mode": mode})})


def test_the_seed_from_two_folders_is_indexed_once_and_pruned_by_its_last_location(
    index_settings: Settings, seed_docs: Path
) -> None:
    copy = seed_docs.parent / "copy"
    shutil.copytree(seed_docs, copy)
    first, second = str(seed_docs / SEED_NAME), str(copy / SEED_NAME)
    report = ingest(index_settings, seed_docs, copy)
    assert report.ok and set(report.added) == {first, second} and report.chunks == 6
    assert [(n.path, "same content as" in n.reason) for n in report.notes] == [(second, True)]
    retriever = Retriever.from_settings(index_settings)
    assert retriever.count() == 6 and ChunkStore.open(index_settings).count() == 6
    passages = retriever.retrieve("When will Kishida visit the U.S.?", k=6)
    assert len({p.text for p in passages}) == 6 and {p.source for p in passages} == {first}
    assert retriever.locations(first) == retriever.locations(second) == sorted([first, second])
    assert set(ingest(index_settings, seed_docs, copy).unchanged) == {first, second}

    shutil.rmtree(seed_docs)  # the location the chunks were stored under goes first
    assert ingest(index_settings, copy, prune=True).pruned == (first,)
    assert retriever.count() == 6 and ChunkStore.open(index_settings).count() == 6
    passages = retriever.retrieve("When will Kishida visit the U.S.?", k=6)
    assert len(passages) == 6 and {p.source for p in passages} == {second}
    assert retriever.locations(second) == [second] and retriever.locations(first) == []

    shutil.rmtree(copy)
    assert ingest(index_settings, prune=True).pruned == (second,)
    assert retriever.count() == 0 and ChunkStore.open(index_settings).count() == 0


def test_a_file_turning_into_a_copy_of_another_reuses_its_chunks(index_settings: Settings, seed_docs: Path) -> None:
    other = seed_docs / "notes.txt"
    other.write_text("Short note about nothing in particular, kept for the test.")
    ingest(index_settings, seed_docs)
    shutil.copy(seed_docs / SEED_NAME, other)
    report = ingest(index_settings, seed_docs)
    assert report.replaced == (str(other),) and report.chunks == 0
    assert ChunkStore.open(index_settings).count() == 6 and Retriever.from_settings(index_settings).count() == 6


@pytest.fixture
def option_docs(tmp_path: Path) -> Path:
    docs = tmp_path / "options"
    docs.mkdir()
    (docs / "manual.txt").write_text("\n\n".join(DECOYS))
    (docs / "diary.txt").write_text(TARGET)
    return docs


def test_hybrid_brings_the_exact_option_that_dense_ranks_low_with_its_cosine_score(
    index_settings: Settings, option_docs: Path
) -> None:
    ingest(index_settings, option_docs)
    dense = Retriever.from_settings(with_mode(index_settings, "dense"))
    hybrid = Retriever.from_settings(index_settings)
    assert hybrid.hybrid and not dense.hybrid
    dense_ranking = dense.retrieve(QUESTION, k=FUSION_POOL)
    assert "--no-install-recommends" not in dense_ranking[0].text  # what this test is about: dense misses it
    found = hybrid.retrieve(QUESTION, k=3)
    assert "--no-install-recommends" in found[0].text
    # Fused order is RRF over the dense and BM25 rankings, each one's first kept; every score is the cosine.
    lexical = LexicalIndex.load(lexical_path(manifest_path(index_settings)))
    assert lexical is not None and lexical.key == read_manifest(manifest_path(index_settings)).content_key
    fused = fused_top([[p.id for p in dense_ranking], [i for i, _ in lexical.search(QUESTION, 20)]], 3)
    assert [p.id for p in found] == fused
    query = hybrid.embedder.embed_query(QUESTION)
    stored = ChunkStore.open(index_settings).get([p.id for p in found])
    for p in found:
        vector = stored[p.id][2]
        cosine = sum(a * b for a, b in zip(query, vector, strict=True)) / (
            math.sqrt(sum(a * a for a in query)) * math.sqrt(sum(b * b for b in vector)))
        assert p.score == pytest.approx(cosine, abs=1e-4)
    by_id = {p.id: p.score for p in dense_ranking}
    assert all(p.score == pytest.approx(by_id[p.id], abs=1e-4) for p in found)


def test_lexical_index_follows_reingest_and_prune(index_settings: Settings, option_docs: Path) -> None:
    ingest(index_settings, option_docs)
    retriever = Retriever.from_settings(index_settings)
    assert "--no-install-recommends" in retriever.retrieve(QUESTION, k=1)[0].text
    diary = option_docs / "diary.txt"
    diary.write_text(TARGET.replace("--no-install-recommends", "--purge-old-kernels"))
    ingest(index_settings, option_docs)
    mpath = manifest_path(index_settings)
    lexical = LexicalIndex.load(lexical_path(mpath))
    assert lexical is not None and lexical.key == read_manifest(mpath).content_key
    assert not any("--no-install-recommends" in p.text for p in retriever.retrieve(QUESTION, k=7))
    assert "--purge-old-kernels" in retriever.retrieve("What does --purge-old-kernels do?", k=1)[0].text
    diary.unlink()
    ingest(index_settings, option_docs, prune=True)
    lexical = LexicalIndex.load(lexical_path(mpath))
    assert lexical is not None and lexical.search("--purge-old-kernels", 5) == []
    assert len(lexical.ids) == retriever.count()


def test_a_reader_rebuilds_a_missing_or_stale_lexical_index_from_the_collection(
    index_settings: Settings, option_docs: Path
) -> None:
    ingest(index_settings, option_docs)
    path = lexical_path(manifest_path(index_settings))
    good = LexicalIndex.load(path)
    assert good is not None
    path.unlink()
    assert "--no-install-recommends" in Retriever.from_settings(index_settings).retrieve(QUESTION, k=1)[0].text
    rebuilt = LexicalIndex.load(path)
    assert rebuilt is not None and rebuilt.key == good.key and rebuilt.ids == good.ids
    LexicalIndex.build(["stale:0"], ["nothing here"], key="other").save(path)  # written for another index state
    assert "--no-install-recommends" in Retriever.from_settings(index_settings).retrieve(QUESTION, k=1)[0].text
    again = LexicalIndex.load(path)
    assert again is not None and again.key == good.key


def test_dense_mode_ingest_writes_no_lexical_index(index_settings: Settings, option_docs: Path) -> None:
    dense = with_mode(index_settings, "dense")
    ingest(dense, option_docs)
    assert not lexical_path(manifest_path(dense)).exists()
    assert len(Retriever.from_settings(dense).retrieve(QUESTION, k=3)) == Retriever.from_settings(dense).count() == 2
    assert not lexical_path(manifest_path(dense)).exists()
