"""A folder of awkward files against the real Ollama embedding model and embedded Chroma: one bad file or chunk
never stops the others; the unreadable ones are named with their reason; the exit code says something failed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import docx
import pytest

from assistant.config import Settings
from assistant.manifest import manifest_path, read_manifest
from assistant.retrieval import Retriever
from assistant.store import ChunkStore
from tests.packages import PACKAGE, chapter, epub
from tests.pdfs import encrypt_pdf, make_pdf

pytestmark = pytest.mark.integration

Env = Callable[[Settings], dict[str, str]]

PROSE = ("The harbour ferry leaves every morning at seven and returns at noon. Tickets are sold on board, and "
         "children under five travel free. In winter the ferry runs only on weekends.\n")
# About 2,200 characters of Japanese without a single space: about one word piece per character.
JAPANESE = ("東京の港から毎朝七時に船が出発し正午に戻ります。切符は船内で販売され五歳未満の子供は無料です。"
            "冬の間は週末だけ運航します。") * 36
GLUED = ["Theharbourferryleaveseverymorningatseven andreturnsatnoonwithpassengers",
         "Ticketsaresoldonboardandchildrenunderfivetravelfree accordingtotheoperator"] * 4


def long_table() -> str:
    """One paragraph of ~1,150 characters (kept whole by the character rules) and ~650 word pieces: over 512."""
    header = "| " + " | ".join(f"column{c}" for c in range(8)) + " |"
    rows = ["| " + " | ".join(f"{(r * 7919 + c) * 104729:016x}" for c in range(8)) + " |" for r in range(7)]
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    docs = tmp_path / "mixed"
    docs.mkdir()
    (docs / "good.txt").write_text(PROSE * 3)
    (docs / "table.md").write_text("# Register values\n\n" + long_table())
    (docs / "japanese.txt").write_text(JAPANESE)
    (docs / "glued.pdf").write_bytes(make_pdf([GLUED, GLUED], roman_front=1))  # pages printed "i" and "1"
    (docs / "locked.pdf").write_bytes(encrypt_pdf(make_pdf([[PROSE.strip()]])))
    (docs / "zero.txt").write_bytes(b"")
    word = docx.Document()
    word.add_heading("Ferry timetable", level=1)
    word.add_paragraph(PROSE.strip())
    word.save(str(docs / "timetable.docx"))
    (docs / "renamed.docx").write_bytes(b"not a zip at all, only a name")
    (docs / "ferry.epub").write_bytes(epub({"OEBPS/content.opf": PACKAGE.replace("text/chapter%201.xhtml", "a.xhtml"),
                                            "OEBPS/a.xhtml": chapter("Starting", PROSE.strip()),
                                            "OEBPS/text/two.xhtml": chapter("Winter", PROSE.strip())}))
    return docs


def run(settings: Settings, env: Env, *args: str,
        extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "assistant.ingest", *args], env={**env(settings), **(extra or {})},
                          capture_output=True, text=True, timeout=600)


def stored(settings: Settings) -> dict[str, list[dict[str, object]]]:
    """Live chunks' metadata per file name."""
    manifest = read_manifest(manifest_path(settings))
    store = ChunkStore.open(settings)
    try:
        got = store.collection.get(include=["metadatas"])
    finally:
        store.close()
    out: dict[str, list[dict[str, object]]] = {}
    for meta in got["metadatas"] or []:
        if manifest.is_live(str(meta["generation"])):
            out.setdefault(Path(str(meta["source"])).name, []).append(dict(meta))
    return out


@pytest.mark.parametrize("index_settings", ["embedded"], indirect=True)
def test_every_readable_file_is_indexed_and_unreadable_ones_named(
    index_settings: Settings, settings_env: Env, mixed: Path
) -> None:
    out = run(index_settings, settings_env, str(mixed))
    assert out.returncode == 1, out.stderr
    assert "locked.pdf: the PDF is password-protected" in out.stderr
    assert "zero.txt: empty file" in out.stderr
    assert "renamed.docx: cannot read the Word document" in out.stderr
    assert "warning" in out.stderr and "glued.pdf: text looks glued" in out.stderr
    assert "6 added, 0 unchanged, 0 replaced, 0 pruned, 3 failed, 1 with warnings" in out.stderr
    chunks = stored(index_settings)
    assert set(chunks) == {"good.txt", "table.md", "japanese.txt", "glued.pdf", "timetable.docx", "ferry.epub"}
    assert chunks["timetable.docx"][0]["title"] == "Ferry timetable"
    assert chunks["ferry.epub"][0]["title"] == "The Pump Book"
    assert len(chunks["japanese.txt"]) >= 9  # ~2,340 word pieces in passages of at most 256
    assert {(m.get("page"), m.get("page_label")) for m in chunks["glued.pdf"]} == {(1, "i"), (2, "1")}
    found = Retriever.from_settings(index_settings).retrieve(GLUED[0], k=40)  # every passage: each page as stored
    assert {(p.page, p.page_label) for p in found if p.source.endswith("glued.pdf")} == {(1, "i"), (2, "1")}
    assert all("page" not in m for m in chunks["good.txt"])


@pytest.mark.parametrize("index_settings", ["embedded"], indirect=True)
def test_a_chunk_the_embedder_refuses_fails_only_its_file(
    index_settings: Settings, settings_env: Env, mixed: Path
) -> None:
    # A token bound past the model's context (512) lets a Japanese passage through to Ollama, which refuses it.
    out = run(index_settings, settings_env, str(mixed), extra={"ASSISTANT_RETRIEVAL__CHUNK_TOKENS": "4000"})
    assert out.returncode == 1, out.stderr
    assert "japanese.txt: passage 1 (characters 0-" in out.stderr and "refused by the embedding model" in out.stderr
    # (Ollama 0.24 embeds the table's first 512 tokens and drops the rest without a word: refused or truncated,
    # only the token bound makes sure the whole passage is embedded.)
    assert "5 added, 0 unchanged, 0 replaced, 0 pruned, 4 failed" in out.stderr
    chunks = stored(index_settings)
    assert set(chunks) == {"good.txt", "table.md", "glued.pdf", "timetable.docx", "ferry.epub"}
    # With the bound back at its default the same folder indexes the Japanese file too.
    again = run(index_settings, settings_env, str(mixed))
    assert "japanese.txt" in stored(index_settings), again.stderr
