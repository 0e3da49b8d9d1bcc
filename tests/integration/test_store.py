"""Ingest and retrieval against the real Ollama embedding model and real Chroma, embedded and over HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.documents import extract_text
from assistant.errors import EmptyIndexError, ModelNotFoundError, ServerUnavailableError, StoreUnavailableError
from assistant.ingest import remove_documents, run_ingest
from assistant.manifest import manifest_path, read_manifest
from assistant.retrieval import Retriever
from assistant.store import ChunkRecord, ChunkStore

pytestmark = pytest.mark.integration

BREAD = (
    "Sourdough bread needs a lively starter, flour, water and salt.\n\n"
    "Knead the dough, let it rise overnight in a cool place, then bake it at 240 degrees for forty minutes."
)


def ingest(settings: Settings, *paths: Path, prune: bool = False):  # type: ignore[no-untyped-def]
    return run_ingest(list(paths), settings, prune=prune, console=None)


def test_seed_passages_come_back_with_exact_offsets_and_cosine_scores(
    index_settings: Settings, seed_docs: Path
) -> None:
    report = ingest(index_settings, seed_docs)
    assert report.ok and len(report.added) == 1 and report.chunks == 6
    retriever = Retriever.from_settings(index_settings)
    assert retriever.count() == 6
    passages = retriever.retrieve("Which tech companies will join the joint AI research framework?", k=3)
    assert len(passages) == 3
    assert passages[0].text.startswith("As part of the anticipated agreement")
    text = extract_text(Path(passages[0].source))
    for p in passages:
        assert text[p.start : p.end] == p.text
        assert p.doc_hash and p.title and p.id.endswith(f":{p.chunk_index}")
    dense_settings = index_settings.model_copy(
        update={"retrieval": index_settings.retrieval.model_copy(update={"mode": "dense"})})
    dense = Retriever.from_settings(dense_settings).retrieve(
        "Which tech companies will join the joint AI research framework?", k=6)
    assert dense[0].score >= dense[1].score >= dense[2].score  # dense alone: nearest first
    cosine = {p.id: p.score for p in dense}
    assert all(p.score == pytest.approx(cosine[p.id], abs=1e-6) for p in passages)  # hybrid keeps cosine scores
    # score is 1 - cosine distance, as Chroma itself reports it
    store = ChunkStore.open(index_settings)
    nearest = store.query(retriever.embedder.embed_query(
        "Which tech companies will join the joint AI research framework?"), 1)[0]
    assert nearest[0] == passages[0].id and passages[0].score == pytest.approx(1 - nearest[3], abs=1e-6)
    retriever.close()


async def test_aretrieve_matches_retrieve(index_settings: Settings, seed_docs: Path) -> None:
    ingest(index_settings, seed_docs)
    retriever = Retriever.from_settings(index_settings)
    question = "What did the U.S. restrict exporting to China?"
    sync = retriever.retrieve(question, k=2)
    assert [p.id for p in await retriever.aretrieve(question, k=2)] == [p.id for p in sync]
    assert "export of advanced AI chips to China" in sync[0].text


def test_empty_index_says_to_run_ingest(index_settings: Settings) -> None:
    retriever = Retriever.from_settings(index_settings)
    assert retriever.count() == 0
    with pytest.raises(EmptyIndexError, match="assistant ingest"):
        retriever.retrieve("anything")


def test_unchanged_files_are_skipped(index_settings: Settings, seed_docs: Path) -> None:
    ingest(index_settings, seed_docs)
    again = ingest(index_settings, seed_docs)
    assert again.unchanged == (str(seed_docs / "000_9ff6f013cf416a85.txt"),)
    assert again.added == () and again.chunks == 0
    assert ChunkStore.open(index_settings).count() == 6


def test_changed_file_is_replaced_and_only_new_chunks_are_seen(index_settings: Settings, seed_docs: Path) -> None:
    doc = seed_docs / "notes.md"
    doc.write_text("# Bread\n\n" + BREAD)
    ingest(index_settings, seed_docs)
    retriever = Retriever.from_settings(index_settings)
    old = retriever.retrieve("How long do you bake sourdough?", k=1)[0]
    assert "forty minutes" in old.text
    doc.write_text("# Bread\n\n" + BREAD.replace("forty minutes", "fifty-five minutes"))
    report = ingest(index_settings, seed_docs)
    assert report.replaced == (str(doc),) and len(report.unchanged) == 1
    passages = retriever.retrieve("How long do you bake sourdough?", k=10)
    bread = [p for p in passages if p.source == str(doc)]
    assert bread and all(p.doc_hash != old.doc_hash for p in bread)
    assert any("fifty-five minutes" in p.text for p in bread)
    assert not any("forty minutes" in p.text for p in passages)
    # superseded chunks are gone from the store, not just hidden
    assert ChunkStore.open(index_settings).count() == read_manifest(manifest_path(index_settings)).total_chunks


def test_chunks_of_an_uncommitted_generation_are_invisible(index_settings: Settings, seed_docs: Path) -> None:
    """What a reader sees while an ingest has written a document's new chunks but not yet switched the manifest."""
    ingest(index_settings, seed_docs)
    retriever = Retriever.from_settings(index_settings)
    question = "When will Kishida visit the U.S.?"
    before = [p.id for p in retriever.retrieve(question, k=6)]
    store = ChunkStore.open(index_settings)
    from assistant.store import ChunkRecord

    vector = retriever.embedder.embed_query(question)
    source = str(seed_docs / "000_9ff6f013cf416a85.txt")
    store.add([ChunkRecord(id=f"pending:{i}", text=question, embedding=vector, source=source, title="", start=0,
                           end=1, chunk_index=i, doc_hash="new", generation="pending") for i in range(20)])
    assert [p.id for p in retriever.retrieve(question, k=6)] == before  # 20 exact matches, none visible
    ingest(index_settings, seed_docs)  # an unchanged run leaves the orphans (only a dirty manifest cleans)
    assert ChunkStore.open(index_settings).count() == 26


def test_prune_removes_documents_whose_files_are_gone(index_settings: Settings, seed_docs: Path) -> None:
    bread = seed_docs / "bread.txt"
    bread.write_text(BREAD)
    ingest(index_settings, seed_docs)
    retriever = Retriever.from_settings(index_settings)
    assert retriever.count() == 7  # the six seed passages and one for the (short) bread note
    bread.unlink()
    assert ingest(index_settings, seed_docs).pruned == ()
    assert retriever.count() == 7
    report = ingest(index_settings, seed_docs, prune=True)
    assert report.pruned == (str(bread),)
    assert retriever.count() == 6
    assert all(p.source != str(bread) for p in retriever.retrieve("sourdough starter", k=6))
    assert ChunkStore.open(index_settings).count() == 6


def test_removed_documents_leave_the_index_but_their_files_and_twins_stay(index_settings: Settings,
                                                                        seed_docs: Path) -> None:
    bread = seed_docs / "bread.txt"
    bread.write_text(BREAD)
    twin = seed_docs / "bread copy.txt"
    twin.write_text(BREAD)
    ingest(index_settings, seed_docs)
    retriever = Retriever.from_settings(index_settings)
    seed = next(d.source for d in retriever.documents() if d.source.endswith(".txt") and "bread" not in d.source)
    report = remove_documents([seed, str(bread), str(seed_docs / "never.txt")], index_settings)
    assert report.pruned == (seed, str(bread)) and [i.path for i in report.failed] == [str(seed_docs / "never.txt")]
    assert [d.source for d in retriever.documents()] == [str(twin)]
    assert Path(seed).exists() and bread.exists()  # the files are left alone
    assert retriever.count() == 1 and ChunkStore.open(index_settings).count() == 1
    assert [p.source for p in retriever.retrieve("sourdough starter", k=4)] == [str(twin)]
    assert sorted(ingest(index_settings, seed_docs).added) == sorted([seed, str(bread)])  # ingest brings them back

    # a folder that has become a link since: its documents go by the names they were indexed under
    moved = seed_docs.parent / "moved"
    moved.mkdir()
    (moved / "bread.txt").write_text(BREAD + " Moved.")
    ingest(index_settings, moved)
    shutil.rmtree(moved)
    moved.symlink_to(seed_docs)
    report = remove_documents([moved / "bread.txt"], index_settings)
    assert report.pruned == (str(moved / "bread.txt"),)
    assert str(bread) in [d.source for d in retriever.documents()]
    loop = seed_docs.parent / "loop.txt"
    loop.symlink_to(loop)
    assert [i.path for i in remove_documents([loop], index_settings).failed] == [str(loop)]  # no traceback


def test_bad_files_fail_alone_and_leave_the_index_as_it_was(index_settings: Settings, seed_docs: Path) -> None:
    bread = seed_docs / "bread.txt"
    bread.write_text(BREAD)
    ingest(index_settings, seed_docs)
    bad = seed_docs.parent / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (bad / "latin1.txt").write_bytes("Crème brûlée needs a blowtorch.".encode("cp1252"))
    (bad / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage")
    (bad / "slides.pptx").write_bytes(b"PK\x03\x04")
    with (bad / "huge.txt").open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    (seed_docs.parent / "empty-dir").mkdir()
    bread.write_bytes(b"\x00\x01binary now")  # an indexed file turns bad: its old version must stay
    report = ingest(index_settings, seed_docs, bad, seed_docs.parent / "empty-dir", seed_docs.parent / "missing.md")
    failed = {Path(f.path).name: f.reason for f in report.failed}
    assert set(failed) == {"bread.txt", "empty.txt", "binary.txt", "broken.pdf", "huge.txt", "empty-dir",
                           "missing.md"}
    assert "binary" in failed["bread.txt"] and "PDF" in failed["broken.pdf"] and "MB" in failed["huge.txt"]
    assert report.added == (str(bad / "latin1.txt"),)
    assert [Path(n.path).name for n in report.notes] == ["latin1.txt"]
    assert [Path(s.path).name for s in report.skipped] == ["slides.pptx"]
    assert report.exit_code == 1
    retriever = Retriever.from_settings(index_settings)
    top = retriever.retrieve("How long do you bake sourdough?", k=1)[0]
    assert top.source == str(bread) and "forty minutes" in top.text
    assert "Crème brûlée" in retriever.retrieve("What does crème brûlée need?", k=1)[0].text


def test_ollama_down_is_server_unavailable_and_changes_nothing(index_settings: Settings, seed_docs: Path) -> None:
    ingest(index_settings, seed_docs)
    (seed_docs / "bread.txt").write_text(BREAD)
    down = index_settings.model_copy(
        update={"ollama": index_settings.ollama.model_copy(update={"host": "http://127.0.0.1:9"})})
    with pytest.raises(ServerUnavailableError, match=r"not reachable at http://127\.0\.0\.1:9.*serve-model"):
        ingest(down, seed_docs)
    with pytest.raises(ServerUnavailableError):
        Retriever.from_settings(down).retrieve("anything")
    assert Retriever.from_settings(index_settings).count() == 6
    assert ingest(index_settings, seed_docs).added == (str(seed_docs / "bread.txt"),)


def test_missing_embedding_model_is_model_not_found(index_settings: Settings, seed_docs: Path) -> None:
    missing = index_settings.model_copy(
        update={"ollama": index_settings.ollama.model_copy(update={"embed_model": "no-such-embedder"})})
    with pytest.raises(ModelNotFoundError, match=r"no-such-embedder.*serve-model"):
        ingest(missing, seed_docs)
    assert read_manifest(manifest_path(missing)).documents == {}


def test_unreachable_chroma_is_store_unavailable(tmp_path: Path, index_settings: Settings, seed_docs: Path) -> None:
    c = index_settings.chroma
    if c.mode == "http":
        broken = index_settings.model_copy(update={"chroma": c.model_copy(update={"port": 9})})
        hint = "chroma run"
    else:
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("a file where the index directory should be")
        broken = index_settings.model_copy(update={"chroma": c.model_copy(update={"path": blocker / "chroma"})})
        hint = "ASSISTANT_CHROMA__PATH"
    with pytest.raises(StoreUnavailableError, match=hint):
        ingest(broken, seed_docs)


def test_document_passages_are_exactly_what_ingest_stores(index_settings: Settings, seed_docs: Path) -> None:
    from assistant.ingest import document_passages

    ingest(index_settings, seed_docs)
    offline = document_passages(seed_docs / "000_9ff6f013cf416a85.txt", index_settings)
    stored = Retriever.from_settings(index_settings).retrieve("Kishida visit to the U.S.", k=6)
    assert {p.id: p.model_copy(update={"score": 0.0}) for p in stored} == {p.id: p for p in offline}


def test_starting_adds_the_seed_to_an_empty_index_but_not_to_one_of_the_users_own(
        index_settings: Settings, tmp_path: Path) -> None:
    from rich.console import Console

    from assistant.bootstrap import prepare

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "bread.txt").write_text(BREAD)
    ingest(index_settings, mine)
    prepare(index_settings, Console(stderr=True), ingest_seeds=True, stop_at_exit=False)
    assert [Path(d.source).name for d in Retriever.from_settings(index_settings).documents()] == ["bread.txt"]

    empty = index_settings.model_copy(update={"data_dir": tmp_path / "empty"})
    if empty.chroma.mode == "http":  # one server: a collection of its own stands for an empty index
        empty = empty.model_copy(update={"chroma": empty.chroma.model_copy(update={"collection": "empty"})})
    prepare(empty, Console(stderr=True), ingest_seeds=True, stop_at_exit=False)
    seeds = sorted(str(p.resolve()) for p in empty.seeds_dir.glob("*.txt"))
    assert [d.source for d in Retriever.from_settings(empty).documents()] == seeds


def test_nearest_passages_are_the_exact_nearest_and_old_indexes_get_the_search_setting(
    index_settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    # Random directions are the hard case for HNSW: with Chroma's default ef_search (100) this search missed 2 to 11
    # of the exact 10 nearest over 30 queries; the configured search_ef (512) must miss none.
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(1500, 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = ChunkStore.open(index_settings)
    records = [ChunkRecord(id=f"g:{i}", text=f"passage {i}", embedding=v.tolist(), source="s.txt", title="s",
                           start=0, end=1, chunk_index=i, doc_hash="h", generation="g") for i, v in enumerate(vectors)]
    for i in range(0, len(records), 500):
        store.add(records[i:i + 500])
    for query in vectors[rng.choice(len(vectors), 30)] + rng.normal(0, 0.05, (30, vectors.shape[1])):
        exact = {f"g:{i}" for i in np.argsort(-(vectors @ query))[:10]}
        assert {hit[0] for hit in store.query(query.tolist(), 10)} == exact
    store.close()
    # An index made with another value (Chroma's default, as before the setting) is given the setting when opened.
    older = index_settings.model_copy(update={"chroma": index_settings.chroma.model_copy(
        update={"collection": index_settings.chroma.collection + "-older", "search_ef": 100})})
    made = ChunkStore.open(older)
    assert made.collection.configuration_json["hnsw"]["ef_search"] == 100
    made.close()
    reopened = ChunkStore.open(older.model_copy(update={"chroma": older.chroma.model_copy(
        update={"search_ef": index_settings.chroma.search_ef})}))
    reopened.close()
    # read back as stored: this open must find the value there, not set it
    monkeypatch.setattr("assistant.store._set_search_ef", lambda *_: pytest.fail("search_ef was not stored"))
    again = ChunkStore.open(older.model_copy(update={"chroma": older.chroma.model_copy(
        update={"search_ef": index_settings.chroma.search_ef})}))
    assert again.collection.configuration_json["hnsw"]["ef_search"] == index_settings.chroma.search_ef == 512
    again.close()


def test_an_index_whose_search_setting_cannot_be_written_still_opens(index_settings: Settings,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from chromadb.api.models.Collection import Collection

    def locked(*_: object, **__: object) -> None:
        raise RuntimeError("database is locked")  # as while another process ingests

    ChunkStore.open(index_settings.model_copy(update={"chroma": index_settings.chroma.model_copy(
        update={"search_ef": 100})})).close()
    monkeypatch.setattr(Collection, "modify", locked)
    store = ChunkStore.open(index_settings)  # search_ef 512 wanted, not written: the index opens all the same
    assert store.collection.configuration_json["hnsw"]["ef_search"] == 100
    store.close()
