"""The chat app's handlers and wiring, driven by a scripted fake assistant (no model, no server, no browser)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from assistant.errors import ConfigError, ServerUnavailableError, StoreUnavailableError
from assistant.ingest import FileIssue, IngestReport
from assistant.results import Answer, Citation, IndexedDocument, Passage, TextDelta
from assistant.ui import ChatHandlers, build_app, launch

PASSAGE = Passage(id="p1", source="seed.txt", start=0, end=64, score=0.5,
                  text="President Biden is scheduled to host Kishida on April 10.")


class ScriptedAssistant:
    """Answers from a script: ``enqueue("text [1].")`` streams that text in two deltas; ``fail(error)`` raises."""

    def __init__(self) -> None:
        self.script: list[str | Exception] = []
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []
        self.server_ok = True
        self.indexed: dict[str, str] = {}  # a pretend index: path -> text; a text starting with "BAD" fails
        self.index_error: Exception | None = None  # raised by add_documents when set
        self.commit_before_error = 0  # files add_documents indexes before raising index_error
        self.busy = False  # what ingesting() says

    def enqueue(self, text: str) -> None:
        self.script.append(text)

    def fail(self, error: Exception) -> None:
        self.script.append(error)

    def stream(self, question: str, history: Sequence[dict[str, Any]] | None = None) -> Iterator[TextDelta | Answer]:
        self.calls.append((question, list(history or [])))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        half = len(item) // 2
        yield TextDelta(text=item[:half])
        yield TextDelta(text=item[half:])
        citations = [Citation(marker=1, passage_id="p1", source="seed.txt", start=0, end=56,
                              quote=PASSAGE.text[:56])] if "[1]" in item else []
        yield Answer(question=question, query=question, text=item, refused=False, citations=citations,
                     passages=[PASSAGE], mode="generated", dropped_passages=0)

    def status(self) -> dict[str, Any]:
        return {"server_ok": self.server_ok, "server": "http://127.0.0.1:11434", "chat_model": "chat",
                "embed_model": "embed", "passages": 1, "problem": None if self.server_ok else "Ollama is down"}

    def ingesting(self) -> bool:
        return self.busy

    def documents(self) -> list[IndexedDocument]:
        return [IndexedDocument(source=s, passages=1, hash=hashlib.sha256(t.encode()).hexdigest())
                for s, t in sorted(self.indexed.items())]

    def add_documents(self, paths: Sequence[Path]) -> IngestReport:
        if self.index_error:
            for p in paths[:self.commit_before_error]:  # as an ingest that fails part way keeps what it committed
                self.indexed[str(p)] = p.read_text()
            raise self.index_error
        added, replaced, failed = [], [], []
        for p in paths:
            text = p.read_text()
            if text.startswith("BAD"):
                failed.append(FileIssue(str(p), "no text could be extracted"))
                continue
            (replaced if str(p) in self.indexed else added).append(str(p))
            self.indexed[str(p)] = text
        return IngestReport(added=tuple(added), replaced=tuple(replaced), failed=tuple(failed))

    def remove_documents(self, sources: Sequence[str]) -> IngestReport:
        if self.index_error:
            raise self.index_error
        # as the real one: a path is a document, or a folder whose documents all go
        gone = [d for s in sources for d in list(self.indexed) if d == s or Path(d).is_relative_to(s)]
        for d in gone:
            del self.indexed[d]
        return IngestReport(pruned=tuple(gone), failed=tuple(FileIssue(s, "not in the index") for s in sources
                                                             if not any(d == s or Path(d).is_relative_to(s)
                                                                        for d in gone)))


def run(handlers: ChatHandlers, question: str, history: list[dict[str, Any]] | None = None,
        answers: list[Answer] | None = None) -> list[tuple[Any, ...]]:
    chat = [{"role": "user", "content": question}]
    return list(handlers.respond(question, chat, history or [], answers or []))


def test_answer_streams_into_the_chat_then_fills_history_and_sources() -> None:
    fake = ScriptedAssistant()
    fake.enqueue("Biden hosts Kishida on April 10 [1].")
    updates = run(ChatHandlers(fake), "When will Kishida visit?")
    chats = [u[0][-1]["content"] for u in updates]
    assert "Searching the documents" in chats[0] and "being indexed" not in chats[0]
    assert "ga-streaming" in chats[1] and "ga-streaming" in chats[2]
    assert 'class="ga-msg ga-answer"' in chats[-1] and 'href="#ga-c-1-1"' in chats[-1]
    _, history, answers, sources, _ = updates[-1]
    assert history == [{"role": "user", "content": "When will Kishida visit?"},
                       {"role": "assistant", "content": "Biden hosts Kishida on April 10 [1]."}]
    assert len(answers) == 1 and 'id="ga-c-1-1"' in sources


def test_a_question_asked_while_documents_are_indexed_says_why_it_waits() -> None:
    fake = ScriptedAssistant()
    fake.busy = True
    fake.enqueue("It is an official visit [1].")
    first = run(ChatHandlers(fake), "What kind of visit?")[0][0][-1]["content"]
    assert "Searching the documents" in first and "Documents are being indexed now" in first


def test_follow_up_gets_the_session_history_and_the_next_turn_number() -> None:
    fake = ScriptedAssistant()
    fake.enqueue("Biden hosts Kishida on April 10 [1].")
    fake.enqueue("It is an official visit [1].")
    h = ChatHandlers(fake)
    _, history, answers, _, _ = run(h, "When will Kishida visit?")[-1]
    last = run(h, "Is it official?", history, answers)[-1]
    assert fake.calls[1] == ("Is it official?", history)
    assert 'href="#ga-c-2-1"' in last[0][-1]["content"]


def test_assistant_error_becomes_a_readable_message_and_refreshes_the_status() -> None:
    fake = ScriptedAssistant()
    fake.server_ok = False
    fake.fail(ServerUnavailableError("Ollama is not reachable at http://127.0.0.1:11434"))
    chat, history, answers, sources, status = run(ChatHandlers(fake), "When?")[-1]
    assert "ga-error" in chat[-1]["content"] and "Ollama is not reachable" in chat[-1]["content"]
    assert "Ollama is down" in status
    assert history == answers == sources == gr.skip()


def test_unexpected_failure_shows_no_traceback() -> None:
    fake = ScriptedAssistant()
    fake.fail(KeyError("internal detail"))
    chat = run(ChatHandlers(fake), "When?")[-1][0]
    assert "Something went wrong" in chat[-1]["content"]
    assert "Traceback" not in chat[-1]["content"] and "internal detail" not in chat[-1]["content"]


def test_app_recovers_after_an_error() -> None:
    fake = ScriptedAssistant()
    fake.fail(ServerUnavailableError("down"))
    fake.enqueue("Biden hosts Kishida on April 10 [1].")
    h = ChatHandlers(fake)
    run(h, "When?")
    assert "ga-answer" in run(h, "When?")[-1][0][-1]["content"]


def test_blank_message_is_ignored() -> None:
    fake = ScriptedAssistant()
    assert ChatHandlers.take_message("   ", [])[2] == ""
    assert run(ChatHandlers(fake), "  ") == [(gr.skip(),) * 5]
    assert fake.calls == []


def test_api_chat_returns_the_plain_answer_text_and_keeps_history() -> None:
    fake = ScriptedAssistant()
    fake.enqueue("Kishida visits <on> April 10 [1].")
    *_, (text, history) = ChatHandlers(fake).api_chat("When?", [])
    assert text == "Kishida visits <on> April 10 [1]."
    assert history[-1] == {"role": "assistant", "content": text}


def test_api_chat_errors_reach_the_client_as_their_message() -> None:
    fake = ScriptedAssistant()
    fake.fail(ServerUnavailableError("Ollama is not reachable"))
    with pytest.raises(gr.Error, match="Ollama is not reachable"):
        list(ChatHandlers(fake).api_chat("When?", []))


def test_app_exposes_only_the_chat_endpoint() -> None:
    app = build_app(ScriptedAssistant())
    assert list(app.get_api_info()["named_endpoints"]) == ["/chat"]


def test_login_needs_both_username_and_password() -> None:
    from assistant.config import load_settings

    with pytest.raises(ConfigError, match="USERNAME and ASSISTANT_UI__PASSWORD"):
        launch(load_settings(ui={"username": "ann"}), ScriptedAssistant())


def _uploads(tmp_path: Path, **files: str) -> list[str]:
    """Files as Gradio hands them over: each in a temporary folder of its own, under the browser's file name."""
    out = []
    for i, (name, text) in enumerate(files.items()):
        folder = tmp_path / "gradio" / str(i)
        folder.mkdir(parents=True)
        (folder / name.replace("_", ".")).write_text(text)
        out.append(str(folder / name.replace("_", ".")))
    return out


def test_uploaded_files_are_kept_in_the_uploads_folder_indexed_and_listed(tmp_path: Path) -> None:
    fake, uploads = ScriptedAssistant(), tmp_path / "uploads"
    report, documents, choices, status, cleared = ChatHandlers(fake, uploads).add_documents(
        _uploads(tmp_path, notes_txt="Zephyr opened in 2019.", _hidden_md="# Hidden"))
    assert sorted(p.name for p in uploads.iterdir()) == ["hidden.md", "notes.txt"]  # a hidden name made visible
    assert (uploads / "notes.txt").read_text() == "Zephyr opened in 2019."
    assert set(fake.indexed) == {str(uploads / "notes.txt"), str(uploads / "hidden.md")}
    assert "notes.txt</span> added" in report and "hidden.md</span> added" in report
    assert "2 documents, 2 passages" in documents and "notes.txt" in documents
    assert choices.choices == [("hidden.md", str(uploads / "hidden.md")), ("notes.txt", str(uploads / "notes.txt"))]
    assert "ga-status" in status and cleared is None


def test_a_file_that_fails_is_removed_and_the_version_it_replaced_comes_back(tmp_path: Path) -> None:
    fake, uploads = ScriptedAssistant(), tmp_path / "uploads"
    handlers = ChatHandlers(fake, uploads)
    handlers.add_documents(_uploads(tmp_path / "1", notes_txt="first version"))
    report, *_ = handlers.add_documents(_uploads(tmp_path / "2", notes_txt="BAD second version",
                                                 broken_pdf="BAD not a pdf", other_txt="fine"))
    assert "notes.txt</span> was not added: no text could be extracted" in report
    assert "broken.pdf</span> was not added" in report and "other.txt</span> added" in report
    assert sorted(p.name for p in uploads.iterdir()) == ["notes.txt", "other.txt"]  # no leftover copies
    assert (uploads / "notes.txt").read_text() == "first version"

    report, *_ = handlers.add_documents(_uploads(tmp_path / "3", notes_txt="second version"))
    assert "notes.txt</span> replaced its earlier version" in report
    assert (uploads / "notes.txt").read_text() == "second version"
    assert sorted(p.name for p in uploads.iterdir()) == ["notes.txt", "other.txt"]


def test_when_the_index_cannot_be_used_nothing_is_added_and_nothing_is_lost(tmp_path: Path) -> None:
    fake, uploads = ScriptedAssistant(), tmp_path / "uploads"
    handlers = ChatHandlers(fake, uploads)
    handlers.add_documents(_uploads(tmp_path / "1", notes_txt="first version"))
    fake.index_error = ServerUnavailableError("Ollama is not reachable at http://127.0.0.1:11434")
    report, documents, _, _, _ = handlers.add_documents(_uploads(tmp_path / "2", notes_txt="new", more_txt="more"))
    assert "Nothing was added. Ollama is not reachable" in report
    assert sorted(p.name for p in uploads.iterdir()) == ["notes.txt"]
    assert (uploads / "notes.txt").read_text() == "first version"
    assert "1 document," in documents


def test_without_an_uploads_folder_adding_does_nothing(tmp_path: Path) -> None:
    fake = ScriptedAssistant()
    report, documents, _, _, _ = ChatHandlers(fake).add_documents(_uploads(tmp_path, notes_txt="text"))
    assert report == "" and not fake.indexed and "No documents" in documents


def test_removing_drops_documents_from_the_index_and_the_kept_copies_of_uploads_only(tmp_path: Path) -> None:
    fake, uploads = ScriptedAssistant(), tmp_path / "uploads"
    handlers = ChatHandlers(fake, uploads)
    handlers.add_documents(_uploads(tmp_path, notes_txt="notes", other_txt="other"))
    elsewhere = tmp_path / "mine.txt"
    elsewhere.write_text("a file of the user's, indexed where it is")
    fake.indexed[str(elsewhere)] = elsewhere.read_text()
    report, documents, choices, _ = handlers.remove_documents([str(uploads / "notes.txt"), str(elsewhere),
                                                               str(tmp_path / "never-indexed.txt")])
    assert "notes.txt</span> removed from the index" in report and "mine.txt</span> removed" in report
    assert "never-indexed.txt" not in report  # only listed documents are asked for
    assert handlers.remove_documents([str(uploads)])[0] == ""  # a folder is no listed document
    assert str(uploads / "other.txt") in fake.indexed
    assert sorted(p.name for p in uploads.iterdir()) == ["other.txt"]
    assert elsewhere.exists()  # only copies kept for uploads are deleted
    assert "1 document," in documents and [v for _, v in choices.choices] == [str(uploads / "other.txt")]
    assert handlers.remove_documents([])[0] == ""


def test_when_removing_fails_nothing_is_deleted(tmp_path: Path) -> None:
    fake, uploads = ScriptedAssistant(), tmp_path / "uploads"
    handlers = ChatHandlers(fake, uploads)
    handlers.add_documents(_uploads(tmp_path, notes_txt="notes"))
    fake.index_error = ServerUnavailableError("Chroma is not reachable")
    report, *_ = handlers.remove_documents([str(uploads / "notes.txt")])
    assert "Nothing was removed. Chroma is not reachable" in report
    assert (uploads / "notes.txt").exists() and str(uploads / "notes.txt") in fake.indexed


def test_after_an_ingest_that_failed_part_way_the_files_it_indexed_stay_and_the_others_go(tmp_path: Path) -> None:
    fake, uploads = ScriptedAssistant(), tmp_path / "uploads"
    handlers = ChatHandlers(fake, uploads)
    handlers.add_documents(_uploads(tmp_path / "1", b_txt="b, first version"))
    fake.index_error = ServerUnavailableError("Ollama went away")
    fake.commit_before_error = 1
    report, documents, *_ = handlers.add_documents(_uploads(tmp_path / "2", a_txt="a", b_txt="b, second version"))
    assert "Not everything was added. Ollama went away Added before that: a.txt." in report
    assert sorted(p.name for p in uploads.iterdir()) == ["a.txt", "b.txt"]  # no hidden leftovers either
    assert (uploads / "b.txt").read_text() == "b, first version"  # what the index still holds for b.txt
    assert "2 documents" in documents


def test_an_upload_replaces_a_link_in_the_uploads_folder_never_what_it_points_to(tmp_path: Path) -> None:
    fake, uploads = ScriptedAssistant(), tmp_path / "uploads"
    uploads.mkdir()
    outside = tmp_path / "outside.txt"
    (uploads / "notes.txt").symlink_to(outside)  # dangling
    (uploads / "other.txt").symlink_to(tmp_path / "kept.txt")
    (tmp_path / "kept.txt").write_text("mine")
    ChatHandlers(fake, uploads).add_documents(_uploads(tmp_path, notes_txt="new notes", other_txt="new other"))
    assert not outside.exists() and (tmp_path / "kept.txt").read_text() == "mine"
    assert (uploads / "notes.txt").read_text() == "new notes" and not (uploads / "notes.txt").is_symlink()
    assert (uploads / "other.txt").read_text() == "new other"


def test_the_same_name_twice_in_one_upload_is_said(tmp_path: Path) -> None:
    fake, uploads = ScriptedAssistant(), tmp_path / "uploads"
    files = _uploads(tmp_path / "1", notes_txt="first") + _uploads(tmp_path / "2", _notes_txt="second")
    report, *_ = ChatHandlers(fake, uploads).add_documents(files)
    assert "notes.txt was given more than once: the last one is kept." in report
    assert (uploads / "notes.txt").read_text() == "second"


def test_the_seed_example_questions_are_offered_only_where_the_seed_is_indexed(tmp_path: Path) -> None:
    from assistant.config import load_settings
    from assistant.ui import EXAMPLES, _examples

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "article.txt").write_text("The seed article.")
    settings = load_settings(data_dir=tmp_path / "data", seeds_dir=seeds)
    fake = ScriptedAssistant()
    fake.indexed = {str(tmp_path / "mine.txt"): "My own notes."}
    assert _examples(settings, fake) == []
    fake.indexed[str((seeds / "article.txt").resolve())] = "The seed article."
    assert _examples(settings, fake) == EXAMPLES

    class Broken(ScriptedAssistant):
        def documents(self) -> list[IndexedDocument]:
            raise StoreUnavailableError("Chroma is locked")

    assert _examples(settings, Broken()) == []
