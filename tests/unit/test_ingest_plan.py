"""Manifest and ingest planning: what counts as unchanged, changed, failed, pruned — all without Chroma or Ollama."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.chunking import CHUNKER_VERSION
from assistant.config import PROJECT_ROOT, Settings, load_settings
from assistant.documents import hash_file
from assistant.errors import StoreUnavailableError
from assistant.ingest import plan_ingest, refreshing, run_ingest
from assistant.manifest import (
    DocEntry,
    Manifest,
    generation_tag,
    index_fingerprint,
    ingest_lock,
    ingest_running,
    manifest_path,
    read_manifest,
    signature,
    write_manifest,
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")


def indexed(settings: Settings, *paths: Path) -> Manifest:
    """A manifest saying ``paths`` are indexed in their current content."""
    fp = index_fingerprint(settings, CHUNKER_VERSION)
    docs = {}
    for p in paths:
        h = hash_file(p)
        docs[str(p.resolve())] = DocEntry(h, generation_tag(h, fp), 3, p.name)
    return Manifest().with_documents(docs, fingerprint=fp)


def test_manifest_round_trips_and_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "m" / "manifest.json"
    assert read_manifest(path) == Manifest()
    assert signature(path) is None
    m = Manifest().with_documents({"/a.txt": DocEntry("h", "g1", 2, "A")}, fingerprint="fp", dirty=True)
    write_manifest(path, m)
    first = signature(path)
    assert read_manifest(path) == m
    write_manifest(path, m.with_documents({}, dirty=False))
    assert signature(path) != first
    assert read_manifest(path).documents == {}
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]  # no temp files left behind


def test_corrupt_manifest_is_reported_with_a_way_out(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text("{not json")
    with pytest.raises(StoreUnavailableError, match="Delete it and run `assistant ingest`"):
        read_manifest(path)


def test_generation_changes_with_content_and_settings_not_with_the_path() -> None:
    g = generation_tag("h1", "fp1")
    assert g == generation_tag("h1", "fp1")
    assert len({g, generation_tag("h2", "fp1"), generation_tag("h1", "fp2")}) == 3


def test_identical_content_under_two_paths_is_one_document_with_two_locations() -> None:
    g = generation_tag("h1", "fp")
    m = Manifest().with_documents({"/b/a.txt": DocEntry("h1", g, 6, "a"), "/a/a.txt": DocEntry("h1", g, 6, "a"),
                                   "/c.txt": DocEntry("h2", generation_tag("h2", "fp"), 2, "c")})
    assert m.total_chunks == 8
    assert m.locations(g) == ("/a/a.txt", "/b/a.txt")
    assert m.is_live(g) and not m.is_live("other")
    assert m.content_key != m.with_documents({"/a/a.txt": m.documents["/a/a.txt"]}).content_key
    assert m.content_key == m.with_documents({k: v for k, v in m.documents.items() if k != "/b/a.txt"}).content_key


def test_manifest_lives_with_the_index(settings: Settings, tmp_path: Path) -> None:
    assert manifest_path(settings).parent == settings.chroma_path
    http = settings.model_copy(update={"chroma": settings.chroma.model_copy(update={"mode": "http", "port": 8123})})
    assert manifest_path(http) == settings.data_dir / "index-manifests" / "127.0.0.1_8123_documents.json"


def test_plan_sorts_new_unchanged_and_changed_files(settings: Settings, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    same, changed, new = (docs / n for n in ("same.txt", "changed.md", "new.html"))
    for p in (same, changed, new):
        p.write_text(f"Text of {p.name}.")
    manifest = indexed(settings, same, changed)
    changed.write_text("Changed text.")
    plan = plan_ingest([docs], manifest, settings, prune=False)
    assert plan.unchanged == [str(same)]
    assert {(w.source, w.replaces) for w in plan.work} == {(str(changed), True), (str(new), False)}
    assert plan.failed == [] and plan.needs_index(manifest)


def test_bad_inputs_fail_one_by_one_with_reasons(settings: Settings, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("Fine.")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing in memory
    odd = tmp_path / "data.xyz"
    odd.write_text("x")
    no_docs = tmp_path / "nodocs"
    no_docs.mkdir()
    (no_docs / "image.png").write_bytes(b"\x89PNG")
    barely = tmp_path / "barely.txt"
    with barely.open("wb") as f:
        f.truncate(20 * 1024 * 1024 + 1000)
    paths = [good, empty, huge, odd, no_docs, tmp_path / "missing.txt", barely]
    plan = plan_ingest(paths, Manifest(), settings, prune=False)
    assert [w.source for w in plan.work] == [str(good)]
    reasons = {Path(f.path).name: f.reason for f in plan.failed}
    assert "empty file" in reasons["empty.txt"]
    assert "50.0 MB, over the 20 MB limit" in reasons["huge.txt"] and "MAX_FILE_MB" in reasons["huge.txt"]
    assert "20.001 MB, over the 20 MB limit" in reasons["barely.txt"]
    assert "unsupported file type '.xyz'" in reasons["data.xyz"]
    assert "no documents" in reasons["nodocs"]
    assert "no such file" in reasons["missing.txt"]
    assert [Path(s.path).name for s in plan.skipped] == ["image.png"]


def test_unsupported_files_inside_a_folder_are_skipped_not_failed(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A.")
    (tmp_path / "b.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("secret")
    plan = plan_ingest([tmp_path], Manifest(), settings, prune=False)
    assert [Path(w.source).name for w in plan.work] == ["a.txt"]
    assert plan.failed == [] and [Path(s.path).name for s in plan.skipped] == ["b.png"]


def test_links_pipes_and_unreadable_folders_fail_alone_named_as_the_user_sees_them(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    (docs / "locked").mkdir(parents=True)
    (docs / "locked" / "inside.txt").write_text("Unreachable.")
    (docs / "good.txt").write_text("Fine.")
    (docs / "a.txt").symlink_to(docs / "b.txt")
    (docs / "b.txt").symlink_to(docs / "a.txt")  # a loop of links
    (docs / "dangling.txt").symlink_to(tmp_path / "gone" / "file.txt")
    (docs / "link.txt").symlink_to(docs / "good.txt")  # the same document under its real name
    os.mkfifo(docs / "pipe.txt")
    scandir = os.scandir

    def locked_out(path: str) -> object:  # as for a folder this user may not open (root may open any)
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", locked_out)
    plan = plan_ingest([docs, docs / "dangling.txt"], Manifest(), settings, prune=False)
    assert [w.source for w in plan.work] == [str(docs / "good.txt")]
    reasons = {Path(f.path).name: f.reason for f in plan.failed}
    assert "links lead back to themselves" in reasons["a.txt"] and "links lead back" in reasons["b.txt"]
    assert "its target is missing" in reasons["dangling.txt"]
    assert [f.path for f in plan.failed if Path(f.path).name == "dangling.txt"] == [str(docs / "dangling.txt")] * 2
    assert "not a regular file" in reasons["pipe.txt"]
    assert reasons["locked"] == "cannot read this folder: Permission denied"


def test_prune_only_drops_documents_whose_files_are_gone(settings: Settings, tmp_path: Path) -> None:
    kept, gone = tmp_path / "kept.txt", tmp_path / "gone.txt"
    kept.write_text("Kept.")
    gone.write_text("Gone.")
    manifest = indexed(settings, kept, gone)
    gone.unlink()
    assert plan_ingest([kept], manifest, settings, prune=False).pruned == []
    plan = plan_ingest([kept], manifest, settings, prune=True)
    assert plan.pruned == [str(gone)] and plan.unchanged == [str(kept)]


def test_changed_chunk_settings_reindex_every_document(settings: Settings, tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("A.")
    b.write_text("B.")
    manifest = indexed(settings, a, b)
    bigger = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update={"chunk_chars": 900})})
    plan = plan_ingest([a], manifest, bigger, prune=False)
    assert sorted(w.source for w in plan.work) == [str(a), str(b)]
    assert all(w.replaces for w in plan.work)
    # b was not asked for: the ingest says why it reads it again
    assert plan.refreshed == 1
    assert refreshing(1).startswith("1 document already indexed is read and embedded again as well")
    assert refreshing(3).startswith("3 documents already indexed are read")


def test_only_failures_leave_no_index_behind(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    report = run_ingest([tmp_path / "empty.txt", tmp_path / "missing.md"], settings, prune=False, console=None)
    assert len(report.failed) == 2 and report.exit_code == 1
    assert not settings.data_dir.exists()


def test_unchanged_ingest_imports_no_chroma_llamaindex_or_ollama(settings: Settings, tmp_path: Path) -> None:
    seed = PROJECT_ROOT / "assistant" / "seeds" / "000_9ff6f013cf416a85.txt"
    write_manifest(manifest_path(settings), indexed(settings, seed))
    code = (
        "import sys; from pathlib import Path; from assistant.ingest import main; rc = main([sys.argv[1]]); "
        "heavy = [m for m in ('chromadb', 'llama_index', 'ollama', 'pypdf', 'bs4') if m in sys.modules]; "
        "print(rc, heavy)"
    )
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir)}
    out = subprocess.run([sys.executable, "-c", code, str(seed.parent)], env=env, capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "0 []", out.stderr
    assert "1 unchanged" in out.stderr
    assert json.loads(manifest_path(settings).read_text())["dirty"] is False


def test_the_model_server_is_started_only_when_there_is_something_to_embed(settings: Settings, tmp_path: Path) -> None:
    seed = PROJECT_ROOT / "assistant" / "seeds" / "000_9ff6f013cf416a85.txt"
    write_manifest(manifest_path(settings), indexed(settings, seed))
    (tmp_path / "empty.txt").write_bytes(b"")
    started: list[str] = []
    for nothing_to_embed in ([seed], [tmp_path / "empty.txt"]):  # unchanged; only a failure
        run_ingest(nothing_to_embed, settings, prune=False, console=None, before_embedding=lambda: started.append("!"))
    assert started == []

    class Started(Exception):
        pass

    def start() -> None:
        raise Started

    (tmp_path / "new.txt").write_text("A note nobody indexed yet.")
    with pytest.raises(Started):  # before anything is embedded (none could be: no model server in unit tests)
        run_ingest([tmp_path / "new.txt"], settings, prune=False, console=None, before_embedding=start)


def test_document_passages_are_computed_offline_with_stable_ids(settings: Settings) -> None:
    from assistant.documents import extract_text
    from assistant.ingest import document_passages

    seed = PROJECT_ROOT / "assistant" / "seeds" / "000_9ff6f013cf416a85.txt"
    passages = document_passages(seed, settings)
    assert passages == document_passages(seed, settings)
    text = extract_text(seed)
    assert [text[p.start : p.end] for p in passages] == [p.text for p in passages]
    assert [p.id.split(":")[1] for p in passages] == [str(i) for i in range(len(passages))]
    assert {p.doc_hash for p in passages} == {hash_file(seed)} and {p.source for p in passages} == {str(seed)}


def test_files_that_fail_to_extract_leave_no_index_behind(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    report = run_ingest([tmp_path], settings, prune=False, console=None)
    assert sorted(Path(f.path).name for f in report.failed) == ["blob.txt", "broken.pdf"]
    assert report.added == () and report.exit_code == 1
    assert not manifest_path(settings).exists() and not (settings.chroma_path / "chroma.sqlite3").exists()


def test_the_summary_names_the_unsupported_files_it_skipped() -> None:
    from rich.console import Console

    from assistant.ingest import FileIssue, IngestReport, print_report

    console = Console(record=True, width=200)
    skipped = tuple(FileIssue(f"/d/file{i}.gz", "unsupported file type") for i in range(7))
    print_report(IngestReport(skipped=skipped), console)
    out = console.export_text()
    assert "skipped 7 unsupported file(s): file0.gz, file1.gz, file2.gz, file3.gz, file4.gz and 2 more" in out


def test_a_second_ingest_says_it_waits_for_the_one_holding_the_index_then_goes_on(tmp_path: Path) -> None:
    import threading

    mpath = tmp_path / "manifest.json"
    said: list[str] = []
    entered, waiting = threading.Event(), threading.Event()

    def second() -> None:
        with ingest_lock(mpath, waiting=lambda: (said.append("waiting"), waiting.set())):
            entered.set()

    with ingest_lock(mpath):  # the first ingest holds the index
        t = threading.Thread(target=second)
        t.start()
        assert waiting.wait(10) and said == ["waiting"] and not entered.is_set()
    t.join(10)
    assert entered.is_set()
    # Nobody holding it: no word, straight in.
    with ingest_lock(mpath, waiting=lambda: said.append("again")):
        pass
    assert said == ["waiting"]


def test_a_question_can_tell_an_ingest_holds_the_index(tmp_path: Path) -> None:
    mpath = tmp_path / "manifest.json"
    assert not ingest_running(mpath)  # never locked: no lock file
    with ingest_lock(mpath):
        assert ingest_running(mpath)
        assert ingest_running(mpath)  # asking does not take the lock from the ingest
    assert not ingest_running(mpath)
    with ingest_lock(mpath, waiting=lambda: pytest.fail("the check left the lock held")):
        pass
