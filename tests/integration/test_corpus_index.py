"""An evaluation corpus's index holds the corpus's documents and nothing else, whatever was indexed there before."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from assistant.config import Settings
from assistant.corpora import index_corpus, load_corpora
from assistant.ingest import run_ingest
from assistant.retrieval import Retriever


def test_a_document_not_in_the_corpus_leaves_its_index(settings: Settings, tmp_path: Path) -> None:
    docs, elsewhere = tmp_path / "docs", tmp_path / "elsewhere"
    docs.mkdir()
    elsewhere.mkdir()
    (docs / "pumps.txt").write_text("The pump starts when the tank is half empty.", encoding="utf-8")
    # the same content under another path (a second checkout), and a file of its own
    (elsewhere / "pumps.txt").write_text("The pump starts when the tank is half empty.", encoding="utf-8")
    (elsewhere / "valves.txt").write_text("The valve closes at night.", encoding="utf-8")
    spec = tmp_path / "corpora.yaml"
    spec.write_text("corpora:\n  - name: pumps\n    documents: [docs]\n", encoding="utf-8")
    (corpus,) = load_corpora(spec)
    mine = settings.model_copy(update={"cache_dir": tmp_path / "cache"})

    s = index_corpus(corpus, spec, mine)
    run_ingest([elsewhere], s, prune=False, console=None)  # as an older run from elsewhere left it
    assert len(Retriever.from_settings(s).documents()) == 3
    s = index_corpus(corpus, spec, mine)
    assert [d.source for d in Retriever.from_settings(s).documents()] == [str((docs / "pumps.txt").resolve())]
    # what the corpus holds stays indexed as it is: nothing removed, nothing embedded again
    out = io.StringIO()
    index_corpus(corpus, spec, mine, Console(file=out, width=200))
    assert "0 added, 1 unchanged" in out.getvalue()
