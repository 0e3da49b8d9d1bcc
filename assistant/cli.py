"""The `assistant` command: serve-model, doctor, ingest, ask, chat, ui, serve-api, eval (`eval --compare`: beside
the baselines; `eval --corpora`: every corpus's dev and test splits).

Errors raised as AssistantError become a one-line message and exit code 2 (1 is for "ran, but failed a check":
a file that could not be ingested, an evaluation below its thresholds). SIGTERM ends a command as Ctrl-C does,
and stops the Ollama server the command started (never one it found running).

Only typer is imported up front: settings, rich, LlamaIndex, Chroma and Gradio load inside the command that uses
them, so ``assistant --help`` and an unchanged re-ingest start fast.
"""

from __future__ import annotations

import functools
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.errors import AssistantError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from assistant.config import Settings

# Plain help (rich_markup_mode=None): typer's rich help rendering imports rich and markdown-it, which costs more
# than everything else `assistant --help` does.
app = typer.Typer(help="Grounded answers from your documents, with verified citations.", no_args_is_help=True,
                  pretty_exceptions_enable=False, rich_markup_mode=None)


@functools.cache
def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    # Off a terminal (a log, a pipe) lines are not cut at 80 columns: paths and figures stay whole.
    console = Console(stderr=stderr, soft_wrap=True)
    if not console.is_terminal:
        console.width = 200
    return console


def _settings(model: str | None = None) -> Settings:
    from assistant.config import load_settings

    settings = load_settings()
    if model:
        settings.ollama.chat_model = model
    return settings


def _fail(e: AssistantError) -> typer.Exit:
    _console(stderr=True).print(f"[red]error:[/] {e}")
    return typer.Exit(2)


def _model_server(settings: Settings, keep_running: bool = False) -> None:
    """The model server for a command that embeds or answers: started if none answers (and stopped when the
    command ends or is terminated, unless ``keep_running``), the bundled models created if missing; the seed is
    not added. Says only what it had to do."""
    from assistant.bootstrap import exit_on_sigterm, prepare

    exit_on_sigterm()
    prepare(settings, _console(stderr=True), ingest_seeds=False, stop_at_exit=not keep_running, quiet=True)


@app.command("serve-model")
def serve_model(
    setup_only: Annotated[bool, typer.Option(help="Build/start, create the models, then exit.")] = False,
) -> None:
    """Make sure Ollama runs with the bundled models; keep it running until Ctrl-C if we started it."""
    from assistant.bootstrap import exit_on_sigterm, prepare

    exit_on_sigterm()
    try:
        info, server = prepare(_settings(), _console(stderr=True), ingest_seeds=False)
    except AssistantError as e:
        raise _fail(e) from e
    if server is None or setup_only:
        return
    _console(stderr=True).print(f"Serving at {info.host}; Ctrl-C stops it.")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@app.command()
def doctor() -> None:
    """Show the model server, models, index and directories, and what to run when something is wrong."""
    from rich.table import Table

    from assistant.bootstrap import diagnose

    console = _console()
    try:
        checks = diagnose(_settings())
    except AssistantError as e:
        raise _fail(e) from e
    table = Table("check", "state", "detail", "fix")
    for c in checks:
        table.add_row(c.name, "[green]ok[/]" if c.ok else "[red]problem[/]", c.detail, c.fix)
    console.print(table)
    problems = [c for c in checks if not c.ok]
    console.print("[green]healthy[/]" if not problems else f"[red]{len(problems)} problem(s)[/]")
    raise typer.Exit(1 if problems else 0)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the bundled seed).")] = None,
    prune: Annotated[bool, typer.Option(help="Remove documents whose files are gone.")] = False,
) -> None:
    """Index documents (.txt .md .html .pdf .docx .epub) into Chroma; unchanged files are skipped."""
    from assistant.ingest import run_ingest

    settings = _settings()
    console = _console(stderr=True)
    try:
        report = run_ingest(paths or [settings.seeds_dir], settings, prune=prune, console=console,
                            before_embedding=functools.partial(_model_server, settings))
    except AssistantError as e:
        raise _fail(e) from e
    except KeyboardInterrupt:
        console.print("interrupted: the documents finished before stay indexed; the same command goes on from there")
        raise typer.Exit(130) from None
    raise typer.Exit(1 if report.failed else 0)


@app.command()
def remove(
    paths: Annotated[list[Path], typer.Argument(help="Indexed files, or folders whose indexed files all go.")],
) -> None:
    """Drop documents from the index; their files stay where they are (`assistant ingest` adds them again)."""
    from rich.markup import escape

    from assistant.ingest import WAITING, remove_documents

    console = _console(stderr=True)
    try:
        report = remove_documents(paths, _settings(), waiting=lambda: console.print(WAITING, highlight=False))
    except AssistantError as e:
        raise _fail(e) from e
    for source in report.pruned:
        console.print(f"removed {escape(source)}", highlight=False, soft_wrap=True)
    for issue in report.failed:
        console.print(f"[red]not removed[/] {escape(issue.path)}: {issue.reason}", highlight=False, soft_wrap=True)
    console.print(f"{len(report.pruned)} removed, {len(report.failed)} not in the index", highlight=False)
    raise typer.Exit(1 if report.failed else 0)


@app.command()
def documents() -> None:
    """List the indexed documents: path, title and passages."""
    from rich.markup import escape

    from assistant.manifest import manifest_path, read_manifest
    from assistant.results import IndexedDocument, same_content
    from assistant.text import plural

    try:
        manifest = read_manifest(manifest_path(_settings()))
    except AssistantError as e:
        raise _fail(e) from e
    console = _console()
    listed = sorted(manifest.documents.items())
    twins = same_content([IndexedDocument(source=s, hash=e.hash) for s, e in listed])
    for source, entry in listed:
        title = f"  {escape(entry.title)}" if entry.title and entry.title != Path(source).name else ""
        count = f"same content as {twins[source]}" if source in twins else plural(entry.chunks, "passage")
        console.print(f"{escape(source)}{title}  [dim]{escape(count)}[/]", highlight=False, soft_wrap=True)
    console.print(f"{plural(len(manifest.documents), 'document')}, {plural(manifest.total_chunks, 'passage')}",
                  highlight=False)


@app.command()
def ask(
    question: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    model: Annotated[str | None, typer.Option(help="Chat model name in Ollama.")] = None,
    local: Annotated[bool, typer.Option("--local", help="Answer in this process even when a running `assistant "
                                                         "serve-api` on the same settings could.")] = False,
) -> None:
    """Answer one question from the indexed documents, with numbered, quoted citations.

    A running `assistant serve-api` on the same settings and code answers it, else the background answer server
    (started by the first `ask` that finds none, stopped after ask.idle_exit_s without a question): both have the
    models and the index loaded already. `--local`, or ASSISTANT_ASK__BACKGROUND_SERVER=false without a serve-api,
    answers in this process."""
    from assistant.client import BACKGROUND, background_answer, fingerprint, server_answer, server_url

    def say(why: str) -> None:
        _console(stderr=True).print(f"[dim]{why}[/]", soft_wrap=True)

    try:
        settings = _settings(model)
        _note_ingest(settings, say)
        answer, by = None, ""
        if not local:
            mine = fingerprint(settings)  # what either kind of server must match
            by = f"the assistant server at {server_url(settings)}"
            answer = server_answer(settings, question, on_skip=say, mine=mine)
            if answer is None and settings.ask.background_server:
                # the model server it needs started here, left for the background server (and others) to use
                start = functools.partial(_model_server, settings, keep_running=True)
                answer = background_answer(settings, question, on_note=say, mine=mine, before_start=start)
                by = BACKGROUND
        if answer is None:
            from assistant.assistant import Assistant

            _model_server(settings)
            answer, by = Assistant.from_settings(settings).ask(question), ""
    except AssistantError as e:
        raise _fail(e) from e
    if as_json:
        print(answer.model_dump_json(indent=2))
        return
    console, err = _console(), _console(stderr=True)
    console.print(answer.text, style="yellow" if answer.refused else None, markup=False, highlight=False)
    if answer.refused and answer.refusal_reason:
        err.print(f"  (not answered: {answer.refusal_reason})", markup=False, highlight=False, soft_wrap=True)
    from assistant.chat import changed_note, footnote, searched

    for c in answer.citations:
        console.print("  " + footnote(c), markup=False, highlight=False)
    for source in answer.changed_sources:
        err.print("  " + changed_note(source), style="yellow", markup=False, highlight=False, soft_wrap=True)
    t = answer.timings
    by = f"; answered by {by}" if by else ""
    err.print(f"[dim]{answer.mode}; {searched(answer)}: {answer.query!r}; {t.total:.2f} s{by}[/]", soft_wrap=True)


def _note_ingest(settings: Settings, say: Callable[[str], None]) -> None:
    from assistant.manifest import ingest_running, manifest_path
    from assistant.results import INGEST_WAIT

    if ingest_running(manifest_path(settings)):
        say(INGEST_WAIT)


@app.command("answer-server", hidden=True)
def answer_server(
    socket_path: Annotated[Path, typer.Option("--socket", help="The Unix socket to listen on.")],
    expected: Annotated[str | None, typer.Option("--fingerprint", help="Refuse to serve unless this process's "
                                                                          "settings and code have it.")] = None,
) -> None:
    """The background answer server `assistant ask` starts (see assistant.client); not for direct use."""
    from assistant.bootstrap import exit_on_sigterm
    from assistant.client import fingerprint

    exit_on_sigterm()
    try:
        settings = _settings()
        serves = fingerprint(settings)  # the code, prompts and calibration as this process will load them
        if expected is not None and serves != expected:
            # The code, prompts or calibration changed on disk since the command read them, or another copy of the
            # package is the one imported here: its answers would not be the command's.
            raise AssistantError("the assistant's code or settings here are not the ones the command that started "
                                 "this server runs (changed since, or another installed copy); not serving "
                                 f"(fingerprint {serves[:16]}, wanted {expected[:16]})")
        from assistant.answer_server import serve_until_idle

        _model_server(settings, keep_running=True)  # when `ask` did not start it: others may use it after us
        print(f"answer server {serves[:16]} on {socket_path}; stops after {settings.ask.idle_exit_s:g} s without a "
              "request", file=sys.stderr, flush=True)
        serve_until_idle(settings, socket_path, serves=serves)
    except AssistantError as e:
        raise _fail(e) from e


@app.command()
def ui(
    host: Annotated[str | None, typer.Option(help="Bind address (default: ASSISTANT_UI__HOST, else "
                                                  "127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: ASSISTANT_UI__PORT, else 7860).")] = None,
) -> None:
    """Open the chat in the browser: sets up the model server, models and seed index first. While it runs, it also
    answers `assistant ask` on these settings (as the background answer server)."""
    from assistant.bootstrap import exit_on_sigterm, prepare
    from assistant.client import fingerprint

    exit_on_sigterm()
    settings = _settings()
    if host:
        settings.ui.host = host
    if port:
        settings.ui.port = port
    serves = fingerprint(settings)  # the code, prompts and calibration as this process will load them
    try:
        prepare(settings, _console(stderr=True), ingest_seeds=True)
        from assistant.answer_server import answering_ask
        from assistant.assistant import Assistant
        from assistant.ui import launch

        assistant = Assistant.from_settings(settings)
        with answering_ask(settings, assistant, serves):
            launch(settings, assistant)
    except KeyboardInterrupt:
        _console(stderr=True).print("stopped")
    except AssistantError as e:
        raise _fail(e) from e


@app.command()
def chat(
    model: Annotated[str | None, typer.Option(help="Chat model name in Ollama.")] = None,
) -> None:
    """Talk with your documents in the terminal: follow-ups, streamed verified answers, cited footnotes."""
    from assistant.bootstrap import exit_on_sigterm, prepare

    exit_on_sigterm()
    settings = _settings(model)
    try:
        prepare(settings, _console(stderr=True), ingest_seeds=True)
        from assistant.assistant import Assistant
        from assistant.chat import run_chat

        assistant = Assistant.from_settings(settings)
        run_chat(assistant, sys.stdout, history_file=settings.data_dir / "chat-history", echo=not sys.stdin.isatty(),
                 ingesting=assistant.ingesting)
    except AssistantError as e:
        raise _fail(e) from e


@app.command("serve-api")
def serve_api(
    host: Annotated[str | None, typer.Option(help="Bind address (default: ASSISTANT_API__HOST, else "
                                                  "127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: ASSISTANT_API__PORT, else 7861); base URL "
                                                  "http://HOST:PORT/v1.")] = None,
) -> None:
    """Serve an OpenAI-compatible API (/v1/models, /v1/chat/completions) whose answers keep their citations."""
    from assistant.bootstrap import exit_on_sigterm, prepare

    exit_on_sigterm()  # uvicorn takes over SIGINT/SIGTERM while it serves, and shuts down gracefully
    from assistant.client import fingerprint

    settings = _settings()
    if host:
        settings.api.host = host
    if port:
        settings.api.port = port
    serves = fingerprint(settings)  # the code, prompts and calibration as this process will load them
    try:
        prepare(settings, _console(stderr=True), ingest_seeds=True)
        from assistant.api import serve_api as serve

        _console(stderr=True).print(f"OpenAI-compatible API at http://{settings.api.host}:{settings.api.port}/v1 "
                                    f"(model {settings.api.model_id!r}); Ctrl-C stops it.")
        serve(settings, serves=serves)
    except AssistantError as e:
        raise _fail(e) from e


def _default_questions() -> Path:
    """``eval_questions.yaml`` of the working directory, else the seed's question set shipped in the package."""
    from assistant.config import package_data

    here = Path("eval_questions.yaml")
    return here if here.is_file() else package_data("questions") / "eval_questions.yaml"


def _warn_if_seed_missing(settings: Settings, questions: Path) -> None:
    """The packaged questions are about the seed article: scoring them on an index without it measures nothing."""
    from assistant.bootstrap import seed_indexed
    from assistant.config import package_data
    from assistant.manifest import manifest_path, read_manifest

    if questions.resolve() != (package_data("questions") / "eval_questions.yaml").resolve():
        return
    try:
        indexed = read_manifest(manifest_path(settings)).documents
    except AssistantError:
        return  # the run itself reports it
    if not seed_indexed(settings, indexed):
        _console(stderr=True).print(
            "[yellow]warning:[/] these are the questions about the seed article, which the index does not hold: "
            f"`assistant ingest {settings.seeds_dir}` adds it, or give --questions about your documents")


@app.command("eval")
def evaluate(
    pipelines: Annotated[list[str] | None, typer.Argument(
        help="With --compare: pipelines to run, KIND or KIND:CHAT_MODEL (default: grounded bare citation-engine "
             "extractive).", show_default=False)] = None,
    questions: Annotated[list[Path] | None, typer.Option(
        help="Question file (YAML); with --compare it may be repeated, one table row per file and pipeline.",
        show_default="eval_questions.yaml here, else the seed's questions shipped with the package")] = None,
    model: Annotated[str | None, typer.Option(help="Chat model to evaluate.")] = None,
    out: Annotated[Path, typer.Option(help="Where results.json, report.md and metrics.png go.")] = Path("eval-out"),
    corpora: Annotated[Path | None, typer.Option(
        help="Corpora file (evalsets/corpora.yaml): index each corpus and report its dev and test splits side by "
             "side instead of one question file.")] = None,
    corpus: Annotated[list[str] | None, typer.Option(help="With --corpora: only this corpus (repeatable).")] = None,
    split: Annotated[list[str] | None, typer.Option(help="With --corpora: dev and/or test (default both).")] = None,
    compare: Annotated[bool, typer.Option("--compare", help="Run this pipeline beside baselines on the same "
                                          "models and index; writes compare.{json,md,png}.")] = False,
) -> None:
    """Run the question set and score grounding; exit 1 below the thresholds in settings."""
    files = questions or [_default_questions()]
    if not questions and not corpora and not compare:
        _warn_if_seed_missing(_settings(model), files[0])
    if not compare and (pipelines or len(files) > 1):
        raise typer.BadParameter("pipelines and several --questions files need --compare")
    splits = split or ["dev", "test"]
    if set(splits) - {"dev", "test"}:
        raise typer.BadParameter("--split is dev or test")
    started = time.monotonic()
    try:
        _model_server(_settings(model))
        if compare:
            from assistant.compare import PIPELINES, run_compare

            run_compare(_settings(model), files, out, pipelines or PIPELINES, console=_console())
            failed = False
        elif corpora is not None:
            from assistant.corpora import run_corpora

            reports = run_corpora(_settings(model), corpora, out, splits, corpus or [], _console())
            failed = any(r.failed_thresholds for r in reports.values())
        else:
            from assistant.evaluate import run_eval

            failed = bool(run_eval(_settings(model), files[0], out, model=model,
                                    console=_console()).failed_thresholds)
    except AssistantError as e:
        raise _fail(e) from e
    _console(stderr=True).print(f"[dim]{time.monotonic() - started:.0f} s; results in {out}[/]")
    raise typer.Exit(1 if failed else 0)


if __name__ == "__main__":
    app()
