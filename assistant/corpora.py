"""Evaluation corpora: documents (from the project, or from a Debian documentation package fetched once into the
cache), each with a dev and a test question split, indexed into an index of its own, evaluated side by side.

    assistant eval --corpora evalsets/corpora.yaml [--corpus NAME] [--split dev|test]

The file format is in ``evalsets/corpora.yaml``. Each corpus gets ``<cache_dir>/eval-index/<name>`` as its data
dir, so an unchanged corpus is not embedded again (ingest skips unchanged files by content hash).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rich.console import Console
from rich.table import Table

from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.evaluate import EvalReport, run_eval


class Corpus(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = ""
    debian: str | None = Field(None, description="Debian package holding the documents (fetched, not installed).")
    documents: list[str] = Field(min_length=1)
    dev: list[str] = []
    test: list[str] = []


class CorpusFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    corpora: list[Corpus] = Field(min_length=1)


def load_corpora(path: Path) -> list[Corpus]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return CorpusFile.model_validate(data).corpora
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise ConfigError(f"The corpora file {path} cannot be used: {e}") from e


def package_root(corpus: Corpus, settings: Settings, console: Console | None = None) -> Path | None:
    """The extracted Debian package of ``corpus`` (fetched and extracted on first use), or None when it has none."""
    if corpus.debian is None:
        return None
    root = settings.cache_dir / "corpora" / "packages" / corpus.debian
    if (root / ".complete").exists():
        return root
    if console:
        console.print(f"[cyan]•[/] fetching Debian package {corpus.debian} for the {corpus.name} corpus")
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise ConfigError(f"The {corpus.name} corpus comes from the Debian package {corpus.debian}: apt-get and "
                          "dpkg-deb are needed to fetch it.")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(["apt-get", "download", corpus.debian], cwd=tmp, check=True, capture_output=True, text=True)
            deb = next(Path(tmp).glob("*.deb"))
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir(parents=True)
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, capture_output=True, text=True)
        except (subprocess.CalledProcessError, StopIteration) as e:
            detail = getattr(e, "stderr", "") or "no .deb downloaded"
            raise ConfigError(f"Cannot fetch the Debian package {corpus.debian}: {detail.strip()} "
                              "(run `apt-get update` first if the package is unknown).") from e
    (root / ".complete").write_text(corpus.debian, encoding="utf-8")
    return root


def document_paths(corpus: Corpus, spec: Path, settings: Settings, console: Console | None = None) -> list[Path]:
    base = package_root(corpus, settings, console) or spec.parent
    paths = [(base / d).resolve() for d in corpus.documents]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise ConfigError(f"The {corpus.name} corpus lists documents that do not exist: {', '.join(missing)}")
    return paths


def corpus_settings(settings: Settings, corpus: Corpus) -> Settings:
    """The settings with an index of the corpus's own (``<cache_dir>/eval-index/<name>``)."""
    return settings.model_copy(update={"data_dir": settings.cache_dir / "eval-index" / corpus.name})


def index_corpus(corpus: Corpus, spec: Path, settings: Settings, console: Console | None = None) -> Settings:
    """Index the corpus (unchanged files are skipped) and return the settings that query it."""
    from assistant.bootstrap import prepare
    from assistant.ingest import remove_documents, run_ingest
    from assistant.manifest import manifest_path, read_manifest

    s = corpus_settings(settings, corpus)
    paths = document_paths(corpus, spec, settings, console)
    # The index holds the corpus and nothing else: a copy indexed from another checkout (a CI clone's seed) would
    # be cited in its place.
    wanted = [Path(os.path.realpath(p)) for p in paths]
    strays = [d for d in read_manifest(manifest_path(s)).documents
              if not any(Path(os.path.realpath(d)).is_relative_to(w) for w in wanted)]
    if strays:
        remove_documents(strays, s)
    # Embedding needs the model server: started (and stopped at exit) when none answers and there is work.
    start = functools.partial(prepare, s, console or Console(stderr=True), ingest_seeds=False, quiet=True)
    report = run_ingest(paths, s, prune=True, console=console, before_embedding=start)
    if report.failed:
        names = ", ".join(str(f) for f in report.failed)
        raise ConfigError(f"The {corpus.name} corpus did not index completely: {names}")
    return s


def question_files(corpus: Corpus, spec: Path, split: str) -> list[Path]:
    return [(spec.parent / f).resolve() for f in (corpus.dev if split == "dev" else corpus.test)]


def run_corpora(settings: Settings, spec: Path, out_dir: Path, splits: Sequence[str] = ("dev", "test"),
                names: Sequence[str] = (), console: Console | None = None) -> dict[tuple[str, str], EvalReport]:
    """Evaluate every (corpus, split); results in ``out_dir/<corpus>-<split>/``, a side-by-side table printed."""
    from assistant.assistant import Assistant

    console = console or Console()
    corpora = [c for c in load_corpora(spec) if not names or c.name in names]
    if names and len(corpora) != len(set(names)):
        known = ", ".join(c.name for c in load_corpora(spec))
        raise ConfigError(f"Unknown corpus in {', '.join(names)}; the file names {known}.")
    reports: dict[tuple[str, str], EvalReport] = {}
    for corpus in corpora:
        s = index_corpus(corpus, spec, settings, console)
        assistant = Assistant.from_settings(s)
        for split in splits:
            for path in question_files(corpus, spec, split):
                key = (corpus.name, split if len(question_files(corpus, spec, split)) == 1 else f"{split}:{path.stem}")
                reports[key] = run_eval(s, path, out_dir / f"{corpus.name}-{key[1].replace(':', '-')}",
                                        console=console, assistant=assistant)
    console.print(side_by_side(reports))
    (out_dir / "corpora.md").write_text(side_by_side_markdown(reports), encoding="utf-8")
    return reports


_COLUMNS = [("n_questions", "questions"), ("fact_recall", "fact recall"), ("refusal_rate", "refusal"),
            ("false_refusal_rate", "false refusal"), ("citation_validity", "citations verbatim"),
            ("citation_recall", "citation recall"), ("evidence_retrieved_rate", "evidence retrieved"),
            ("unsupported_entities", "unsupported terms"), ("gate_auc", "gate AUC"), ("crag_score", "CRAG"),
            ("latency_p50_s", "p50 s")]


def _fmt(v: object) -> str:
    return "n/a" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)


def side_by_side(reports: dict[tuple[str, str], EvalReport]) -> Table:
    table = Table("corpus", "split", *[label for _, label in _COLUMNS], title="dev and test side by side")
    for (name, split), r in reports.items():
        table.add_row(name, split, *[_fmt(getattr(r.summary, k)) for k, _ in _COLUMNS])
    return table


def side_by_side_markdown(reports: dict[tuple[str, str], EvalReport]) -> str:
    head = "| corpus | split | " + " | ".join(label for _, label in _COLUMNS) + " |"
    rows = [f"| {n} | {s} | " + " | ".join(_fmt(getattr(r.summary, k)) for k, _ in _COLUMNS) + " |"
            for (n, s), r in reports.items()]
    return "\n".join([head, "|" + "---|" * (len(_COLUMNS) + 2), *rows, ""])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m assistant.corpora [--index] [SPEC]``: fetch every corpus's Debian package (and index it)."""
    import argparse

    from assistant.bootstrap import exit_on_sigterm
    from assistant.config import PROJECT_ROOT, load_settings
    from assistant.errors import AssistantError

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("spec", nargs="?", type=Path, default=PROJECT_ROOT / "evalsets" / "corpora.yaml")
    parser.add_argument("--index", action="store_true", help="Also index each corpus into its own index.")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    settings = load_settings()
    exit_on_sigterm()  # so the exit hooks stop a model server started here
    try:
        for corpus in load_corpora(args.spec):
            paths = document_paths(corpus, args.spec.resolve(), settings, console)
            console.print(f"[cyan]•[/] {corpus.name}: {len(paths)} document path(s) ready")
            if args.index:
                index_corpus(corpus, args.spec.resolve(), settings, console)
    except AssistantError as e:
        console.print(f"[red]error:[/] {e}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
