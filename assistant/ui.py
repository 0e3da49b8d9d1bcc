"""The Gradio chat app: streamed, cited answers with their sources, a status line, one history per browser session.

Run it with ``assistant ui`` (http://127.0.0.1:7860 by default; ``ASSISTANT_UI__HOST``/``__PORT``/``__USERNAME``/
``__PASSWORD`` change it), or embed it with ``build_app(assistant)``. Scripted users call the chat endpoint::

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict("When will Kishida visit the U.S.?", api_name="/chat")

which returns the answer text with its ``[n]`` markers; each client keeps its own history, like a browser tab.

The app only talks to :class:`assistant.Assistant`; the HTML it shows is built in :mod:`assistant.ui_render`.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import gradio as gr

from assistant import ui_render as render
from assistant.errors import AssistantError, ConfigError
from assistant.results import Answer, IndexedDocument, TextDelta
from assistant.uploads import Placed, place, settle, upload_name

if TYPE_CHECKING:
    from assistant.config import Settings
    from assistant.ingest import IngestReport

log = logging.getLogger(__name__)

Message = dict[str, Any]

EXAMPLES = [
    "When will Kishida visit the U.S.?",
    "Which companies are expected to take part in the joint AI research?",
    "What did the U.S. restrict?",
]
# Answers in flight at once, across all sessions and the API. The model server works on a few requests in
# parallel; more only wait inside Ollama, where nobody sees their place in the line and first tokens come late.
CONCURRENCY_LIMIT = 4
QUEUE_SIZE = 64  # beyond this, new questions are turned away with "queue full" instead of waiting minutes
STATUS_EVERY_S = 10.0  # how soon the status line notices the model server going away or coming back

STATIC = "static"  # chat.css and citations.js, package data beside this module
UPLOADS = "uploads"  # the folder of the data directory that files added in the browser are kept in


def static_text(name: str) -> str:
    """A file of ``assistant/static`` (the UI's CSS and JavaScript), read through importlib.resources."""
    return resources.files("assistant").joinpath(STATIC, name).read_text(encoding="utf-8")


class ChatAssistant(Protocol):
    """What the app needs from :class:`assistant.Assistant`."""

    def stream(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Iterator[TextDelta | Answer]:
        ...

    def status(self) -> dict[str, Any]: ...

    def ingesting(self) -> bool: ...

    def documents(self) -> list[IndexedDocument]: ...

    def add_documents(self, paths: Sequence[Path]) -> IngestReport: ...

    def remove_documents(self, sources: Sequence[str]) -> IngestReport: ...


class ChatHandlers:
    """The event handlers. One instance serves every session: per-session data (chat, history, answers) is passed
    in and out through ``gr.State``, so sessions never see each other's conversations. ``uploads`` is the folder
    files added in the browser are kept in (citations point into it); None leaves adding files out."""

    def __init__(self, assistant: ChatAssistant, uploads: Path | None = None) -> None:
        self.assistant = assistant
        self.uploads = uploads

    def status(self) -> str:
        return render.status_html(self.assistant.status())

    def documents(self) -> tuple[str, Any]:
        """Outputs (the documents' list, the choices of documents to remove)."""
        try:
            docs = self.assistant.documents()
        except AssistantError as e:
            return render.error_html(str(e)), gr.Dropdown(choices=[], value=None)
        choices = [(render.document_label(d.source), d.source) for d in docs]
        return render.documents_html(docs), gr.Dropdown(choices=choices, value=None)

    def remove_documents(self, sources: Sequence[str] | None) -> tuple[str, str, Any, str]:
        """Drop the chosen documents from the index, and the kept copies of uploaded ones; outputs (report,
        documents, choices, status)."""
        try:
            # Only documents the panel lists: a client may send any value, and a folder would take all under it.
            listed = {d.source for d in self.assistant.documents()} if sources else set()
            chosen = [s for s in sources or () if s in listed]
            if not chosen:
                return "", *self.documents(), self.status()
            report = self.assistant.remove_documents(chosen)
        except AssistantError as e:
            return render.error_html(f"Nothing was removed. {e}", "Could not remove"), *self.documents(), self.status()
        except Exception:
            log.exception("removing %s failed", sources)
            return (render.error_html("Something went wrong while removing; the details are in the server log.",
                                      "Could not remove"), *self.documents(), self.status())
        problems = []
        for source in report.pruned:
            path = Path(source)
            if self.uploads is not None and path.parent == self.uploads.resolve():
                try:
                    path.unlink(missing_ok=True)  # kept only for its citations
                except OSError as e:
                    problems.append(f"{path.name} left the index, but its kept copy stays: {e.strerror or e}")
        html = render.ingest_html(report, failed="removed")
        if problems:
            html += render.error_html(" ".join(problems), "Could not delete")
        return html, *self.documents(), self.status()

    def add_documents(self, files: Sequence[str] | None) -> tuple[str, str, Any, str, None]:
        """Keep the uploaded files in the uploads folder and index them; outputs (report, documents, choices,
        status, the cleared upload box). A file stays in the folder exactly when the index holds its content under
        its path (also after an ingest that failed part way, which keeps what it committed); any other goes again,
        and the version it was to replace comes back."""
        if not files or self.uploads is None:
            return "", *self.documents(), self.status(), None
        placed: list[Placed] = []
        twice: list[str] = []
        report: IngestReport | None = None
        error = ""
        try:
            by_name: dict[str, Path] = {}
            for f in files:
                name = upload_name(f)
                if name in by_name:
                    twice.append(name)
                by_name[name] = Path(f)  # the same name twice: the last one is kept
            self.uploads.mkdir(parents=True, exist_ok=True)
            for name, source in by_name.items():
                placed.append(place(source, self.uploads / name))
            report = self.assistant.add_documents([p.path for p in placed])
        except AssistantError as e:
            error = str(e)
        except OSError as e:
            error = f"Could not keep the uploaded files: {e}"
        except Exception:
            log.exception("adding %s failed", files)
            error = "Something went wrong; the details are in the server log."
        try:
            indexed = {d.source: d.hash for d in self.assistant.documents()}
        except Exception:  # cannot tell: undo all; the index keeps whatever it committed
            log.exception("reading the index after adding files failed")
            indexed = {}
        settled, problems = settle(placed, indexed)
        if report is not None:
            html = render.ingest_html(report)
        else:
            done = f"Not everything was added. {error} Added before that: {', '.join(p.path.name for p in settled)}."
            html = render.error_html(done if settled else f"Nothing was added. {error}", "Could not add")
        notes = [f"{name} was given more than once: the last one is kept." for name in dict.fromkeys(twice)]
        if notes or problems:
            html += render.error_html(" ".join(notes + problems), "Note")
        return html, *self.documents(), self.status(), None

    @staticmethod
    def take_message(message: str, chat: list[Message]) -> tuple[Any, Any, str]:
        """Show the question at once and lock the textbox while the answer streams."""
        if not message.strip():
            return gr.skip(), gr.skip(), ""
        return (gr.Textbox(value="", interactive=False),
                [*chat, {"role": "user", "content": render.user_html(message)}], message)

    @classmethod
    def take_example(cls, chat: list[Message], example: gr.SelectData) -> tuple[Any, Any, str]:
        return cls.take_message(str(example.value.get("text", "")), chat)

    def respond(self, question: str, chat: list[Message], history: list[Message], answers: list[Answer]
                ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat; outputs are (chat, history, answers, sources, status)."""
        keep = gr.skip()
        if not question.strip():
            yield keep, keep, keep, keep, keep
            return
        turn = len(answers) + 1

        def reply(html: str) -> list[Message]:  # a new list each time: gradio may still hold the previous one
            return [*chat, {"role": "assistant", "content": html}]

        yield reply(render.pending_html(self.assistant.ingesting())), keep, keep, keep, keep
        text, answer = "", None
        try:
            for event in self.assistant.stream(question, history):
                if isinstance(event, TextDelta):
                    text += event.text
                    yield reply(render.streaming_html(text, turn)), keep, keep, keep, keep
                else:
                    answer = event
            if answer is None:
                raise AssistantError("The assistant stopped without an answer. Try again.")
        except AssistantError as e:
            yield reply(render.error_html(str(e))), keep, keep, keep, self.status()
            return
        except Exception:
            # The edge of the app: an unexpected failure becomes a message, the traceback goes to the log.
            log.exception("answering %r failed", question)
            yield (reply(render.error_html("Something went wrong while answering; the details are in the server log. "
                                           "Try again.")), keep, keep, keep, self.status())
            return
        answers = [*answers, answer]
        history = [*history, {"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        yield reply(render.answer_html(answer, turn)), history, answers, render.sources_html(answers), self.status()

    def api_chat(self, message: str, history: list[Message]) -> Iterator[tuple[str, list[Message]]]:
        """The ``/chat`` endpoint: streams the plain answer text (with ``[n]`` markers); errors reach the client as
        their readable message."""
        text = ""
        try:
            for event in self.assistant.stream(message, history):
                if isinstance(event, TextDelta):
                    text += event.text
                    yield text, history
                else:
                    yield event.text, [*history, {"role": "user", "content": message},
                                       {"role": "assistant", "content": event.text}]
        except AssistantError as e:
            raise gr.Error(str(e), print_exception=False) from e

    @staticmethod
    def new_chat() -> tuple[Any, ...]:
        """Outputs (chat, history, answers, sources, textbox) of an empty conversation."""
        return [], [], [], render.sources_html([]), gr.Textbox(value="", interactive=True)


def _has_documents(assistant: ChatAssistant) -> bool:
    try:
        return bool(assistant.documents())
    except AssistantError:
        return True  # the panel would only show the error; the status line says it already


def _examples(settings: Settings, assistant: ChatAssistant) -> list[str]:
    """The example questions, which are about the seed: none when the seed is not indexed."""
    from assistant.bootstrap import seed_indexed

    try:
        return EXAMPLES if seed_indexed(settings, {d.source for d in assistant.documents()}) else []
    except AssistantError:
        return []


def build_app(assistant: ChatAssistant, uploads: Path | None = None,
              examples: Sequence[str] = tuple(EXAMPLES)) -> gr.Blocks:
    """The chat app around ``assistant``; serve it with :func:`launch`, which adds the CSS and JavaScript of
    ``assistant/static``. Files added in the browser are kept in ``uploads`` (None: no adding). ``examples``: the
    questions offered in the empty chat."""
    from assistant.documents import SUFFIX_KINDS

    h = ChatHandlers(assistant, uploads)
    chat_events: dict[str, Any] = {"concurrency_limit": CONCURRENCY_LIMIT, "concurrency_id": "answer"}
    with gr.Blocks(title="Grounded assistant", analytics_enabled=False, fill_height=True) as app:
        history = gr.State([])  # plain-text turns for the assistant's follow-up handling
        answers = gr.State([])  # the session's Answer objects, for the sources panel
        pending = gr.State("")
        gr.Markdown("### Grounded assistant", elem_id="ga-title")
        status = gr.HTML('<div class="ga-status">Checking the model server…</div>', elem_id="ga-status",
                         js_on_load=None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    elem_id="ga-chat", show_label=False, height="70vh", render_markdown=False, sanitize_html=True,
                    latex_delimiters=[], buttons=[], feedback_options=None,
                    examples=[{"text": q} for q in examples] or None,
                    placeholder="Ask about your documents. Every sentence of an answer is checked against the "
                                "passage it cites; click a **[n]** to see it.",
                )
                textbox = gr.Textbox(show_label=False, placeholder="Ask a question about your documents…",
                                     submit_btn=True, autofocus=True, max_lines=6, elem_id="ga-input")
                new_chat = gr.Button("New chat", size="sm", variant="secondary", elem_id="ga-new-chat")
            with gr.Column(scale=2):
                # Open when there is nothing to ask about yet.
                with gr.Accordion("Documents", open=uploads is not None and not _has_documents(assistant),
                                  elem_id="ga-documents-panel"):
                    documents = gr.HTML(elem_id="ga-documents", js_on_load=None)
                    upload = gr.File(label=f"Add documents ({' '.join(sorted(SUFFIX_KINDS))})",
                                     file_count="multiple", file_types=sorted(SUFFIX_KINDS), elem_id="ga-upload",
                                     visible=uploads is not None, height=120)
                    with gr.Row(visible=uploads is not None, equal_height=True):
                        to_remove = gr.Dropdown(label="Remove from the index", multiselect=True, choices=[],
                                                elem_id="ga-remove", scale=4)
                        remove = gr.Button("Remove", size="sm", variant="secondary", elem_id="ga-remove-button",
                                           scale=1)
                    added = gr.HTML(elem_id="ga-added", js_on_load=None)
                gr.Markdown("#### Sources")
                sources = gr.HTML(render.sources_html([]), elem_id="ga-sources", js_on_load=None)

        outputs = [chatbot, history, answers, sources, status]
        ui: dict[str, Any] = {"api_visibility": "undocumented"}
        answered = [
            trigger.then(h.respond, [pending, chatbot, history, answers], outputs, show_progress="hidden",
                         **chat_events, **ui)
            for trigger in (
                textbox.submit(h.take_message, [textbox, chatbot], [textbox, chatbot, pending], queue=False, **ui),
                chatbot.example_select(h.take_example, [chatbot], [textbox, chatbot, pending], queue=False, **ui),
            )
        ]
        for event in answered:
            event.then(lambda: gr.Textbox(interactive=True), None, textbox, queue=False, **ui)
        for reset in (new_chat.click, chatbot.clear):
            reset(h.new_chat, None, [chatbot, history, answers, sources, textbox], cancels=answered,  # type: ignore[arg-type]
                  queue=False, **ui)

        app.load(h.status, None, status, show_progress="hidden", **ui)
        app.load(h.documents, None, [documents, to_remove], show_progress="hidden", **ui)
        # One ingest at a time: they would only wait for each other on the index's lock.
        upload.upload(h.add_documents, upload, [added, documents, to_remove, status, upload], concurrency_limit=1,
                      concurrency_id="ingest", **ui)
        remove.click(h.remove_documents, to_remove, [added, documents, to_remove, status], concurrency_limit=1,
                     concurrency_id="ingest", **ui)
        gr.Timer(STATUS_EVERY_S).tick(h.status, None, status, show_progress="hidden", concurrency_limit=None, **ui)

        # The scripted-user endpoint, shaped like gr.ChatInterface's: (message) -> answer text, history kept per client.
        api_message = gr.Textbox(visible=False)
        api_answer = gr.Textbox(visible=False)
        api_history = gr.State([])
        gr.Button(visible=False).click(h.api_chat, [api_message, api_history], [api_answer, api_history],
                                       api_name="chat", **chat_events)
    app.queue(max_size=QUEUE_SIZE)
    return app


def launch(settings: Settings, assistant: ChatAssistant | None = None, *, block: bool = True) -> gr.Blocks:
    """Serve the app on ``settings.ui.host:port`` (127.0.0.1:7860 unless configured), with a login when a username
    and password are set. ``block=False`` returns once the server is up (tests, notebooks); ``app.close()`` stops it.
    ``block=True`` serves until SIGINT (Ctrl-C) or SIGTERM, then closes the server and raises KeyboardInterrupt or
    SystemExit(143).
    """
    ui = settings.ui
    if bool(ui.username) != bool(ui.password):
        raise ConfigError("Set both ASSISTANT_UI__USERNAME and ASSISTANT_UI__PASSWORD to require a login, "
                          "or neither.")
    auth = (ui.username, ui.password.get_secret_value()) if ui.username and ui.password else None
    if assistant is None:
        from assistant.assistant import Assistant

        assistant = Assistant.from_settings(settings)
    app = build_app(assistant, settings.data_dir / UPLOADS, examples=_examples(settings, assistant))
    # Serving until Ctrl-C or SIGTERM: the signal only sets an event, which the main thread waits for. Raised as
    # an exception, a signal landing while Gradio is still starting could be lost inside it, leaving the server up.
    stop = threading.Event()
    received: list[int] = []
    handlers = {}

    def on_signal(signum: int, _: object) -> None:
        received.append(signum)
        stop.set()

    if block and threading.current_thread() is threading.main_thread():  # only there can signals be handled
        for signum in (signal.SIGINT, signal.SIGTERM):
            handlers[signum] = signal.signal(signum, on_signal)
    try:
        app.launch(server_name=ui.host, server_port=ui.port, auth=auth, share=False, prevent_thread_lock=True,
                   inbrowser=False, show_error=False, quiet=not block, ssr_mode=False, mcp_server=False, pwa=False,
                   max_file_size=int(settings.retrieval.max_file_mb * 1024 * 1024), footer_links=["api"],
                   theme=gr.themes.Soft(), css=static_text("chat.css"), js=static_text("citations.js"))
        if not block:
            return app
        stop.wait()
    finally:
        if block:
            app.close()  # before the exit hooks stop the model server
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
    if received[0] == signal.SIGTERM:
        raise SystemExit(128 + signal.SIGTERM)
    raise KeyboardInterrupt
