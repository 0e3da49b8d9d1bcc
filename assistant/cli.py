"""The `assistant` command: serve-model, doctor, ingest, ask, ui, eval (`eval --compare`: beside the baselines).

Errors raised as AssistantError become a one-line message and exit code 2 (1 is for "ran, but failed a check":
a file that could not be ingested, an evaluation below its thresholds).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from assistant.config import Settings, load_settings
from assistant.errors import AssistantError

app = typer.Typer(help="Grounded answers from your documents, with verified citations.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console()
err = Console(stderr=True)


def _settings(model: str | None = None) -> Settings:
    settings = load_settings()
    if model:
        settings.ollama.chat_model = model
    return settings


def _fail(e: AssistantError) -> typer.Exit:
    err.print(f"[red]error:[/] {e}")
    return typer.Exit(2)


@app.command("serve-model")
def serve_model(
    setup_only: Annotated[bool, typer.Option(help="Build/start, create the models, then exit.")] = False,
) -> None:
    """Make sure Ollama runs with the bundled models; keep it running until Ctrl-C if we started it."""
    from assistant.bootstrap import prepare

    try:
        info, server = prepare(_settings(), err, ingest_seeds=False)
    except AssistantError as e:
        raise _fail(e) from e
    if server is None or setup_only:
        return
    err.print(f"Serving at {info.host}; Ctrl-C stops it.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt):
        server.process.wait()


@app.command()
def doctor() -> None:
    """Show the model server, models, index and directories, and what to run when something is wrong."""
    from assistant.bootstrap import diagnose

    checks = diagnose(_settings())
    table = Table("check", "state", "detail", "fix")
    for c in checks:
        table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]problem[/]", c.detail, c.fix)
    console.print(table)
    problems = [c for c in checks if not c.ok]
    console.print("[green]healthy[/]" if not problems else f"[red]{len(problems)} problem(s)[/]")
    raise typer.Exit(1 if problems else 0)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: seeds/).")] = None,
    prune: Annotated[bool, typer.Option(help="Remove documents whose files are gone.")] = False,
) -> None:
    """Index documents (.txt .md .html .pdf) into Chroma; unchanged files are skipped."""
    from assistant.ingest import run_ingest

    settings = _settings()
    try:
        report = run_ingest(paths or [settings.seeds_dir], settings, prune=prune, console=err)
    except AssistantError as e:
        raise _fail(e) from e
    raise typer.Exit(1 if report.failed else 0)


@app.command()
def ask(
    question: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    model: Annotated[str | None, typer.Option(help="Chat model name in Ollama.")] = None,
) -> None:
    """Answer one question from the indexed documents, with numbered, quoted citations."""
    from assistant.assistant import Assistant

    try:
        answer = Assistant.from_settings(_settings(model)).ask(question)
    except AssistantError as e:
        raise _fail(e) from e
    if as_json:
        print(answer.model_dump_json(indent=2))
        return
    console.print(answer.text, style="yellow" if answer.refused else None, markup=False, highlight=False)
    for c in answer.citations:
        console.print(f"  [{c.marker}] “{c.quote}” — {c.source}:{c.start}-{c.end}", markup=False, highlight=False)
    t = answer.timings
    err.print(f"[dim]{answer.mode}; searched: {answer.query!r}; {t.total:.2f} s[/]")


@app.command()
def ui(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 7860).")] = None,
) -> None:
    """Open the chat in the browser: sets up the model server, models and seed index first."""
    from assistant.bootstrap import prepare

    settings = _settings()
    if host:
        settings.ui.host = host
    if port:
        settings.ui.port = port
    try:
        prepare(settings, err, ingest_seeds=True)
        from assistant.ui import launch

        launch(settings)
    except AssistantError as e:
        raise _fail(e) from e


@app.command("eval")
def evaluate(
    pipelines: Annotated[list[str] | None, typer.Argument(
        help="With --compare: pipelines to run, KIND or KIND:CHAT_MODEL (default: grounded bare citation-engine "
             "extractive).", show_default=False)] = None,
    questions: Annotated[list[Path] | None, typer.Option(
        help="Question file (YAML); with --compare it may be repeated, one table row per file and pipeline.",
        show_default="eval_questions.yaml")] = None,
    model: Annotated[str | None, typer.Option(help="Chat model to evaluate.")] = None,
    out: Annotated[Path, typer.Option(help="Where results.json, report.md and metrics.png go.")] = Path("eval-out"),
    compare: Annotated[bool, typer.Option("--compare", help="Run this pipeline beside baselines on the same "
                                          "models and index; writes compare.{json,md,png}.")] = False,
) -> None:
    """Run the question set and score grounding; exit 1 below the thresholds in settings."""
    from assistant.evaluate import run_eval

    files = questions or [Path("eval_questions.yaml")]
    started = time.monotonic()
    try:
        if compare:
            from assistant.compare import PIPELINES, run_compare

            run_compare(_settings(model), files, out, pipelines or PIPELINES, console=console)
        elif pipelines or len(files) > 1:
            raise typer.BadParameter("pipelines and several --questions files need --compare")
        else:
            report = run_eval(_settings(model), files[0], out, model=model, console=console)
    except AssistantError as e:
        raise _fail(e) from e
    err.print(f"[dim]{time.monotonic() - started:.0f} s; results in {out}[/]")
    raise typer.Exit(0 if compare else 1 if report.failed_thresholds else 0)


if __name__ == "__main__":
    app()
