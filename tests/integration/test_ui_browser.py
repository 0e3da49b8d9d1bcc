"""The chat app in headless Chromium, against the real assistant (Ollama with the bundled models, Chroma with the
seed): streamed cited answers, citation clicks, refusals, escaping of hostile documents, server loss and recovery,
per-session history, and the ``/chat`` endpoint for scripted users.

Screenshots land in artifacts/ (gitignored); ASSISTANT_UPDATE_SCREENSHOT=1 also refreshes docs/screenshot.png.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from gradio_client import Client
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from assistant.assistant import Assistant
from assistant.config import PROJECT_ROOT, Settings
from assistant.ui import launch
from tests.net import free_port

ARTIFACTS = PROJECT_ROOT / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ANSWER_TIMEOUT_MS = 180_000
FINAL = "#ga-chat .ga-msg.ga-answer:not(.ga-streaming), #ga-chat .ga-msg.ga-refusal, #ga-chat .ga-msg.ga-error"
HOSTILE = """Zephyr Station field notes <img src=x onerror=alert(1)>

The Zephyr research station in Antarctica opened in March 2019 and houses twelve scientists.
<script>window.__xss = 1; alert(2)</script>
Its director is Dr. Mara Lind. <img src=y onerror="window.__xss = 3">
"""
# Records the class of the last chat message each time it changes, to see an answer arrive in steps.
WATCH_JS = """() => {
  window.__gaSeen = [];
  new MutationObserver(() => {
    const msgs = document.querySelectorAll('#ga-chat .ga-msg');
    const cls = msgs.length ? msgs[msgs.length - 1].className : '';
    if (window.__gaSeen[window.__gaSeen.length - 1] !== cls) window.__gaSeen.push(cls);
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def serve(settings: Settings, assistant: Assistant) -> Iterator[str]:
    s = settings.model_copy(update={"ui": settings.ui.model_copy(update={"port": free_port()})})
    app = launch(s, assistant, block=False)
    try:
        yield f"http://127.0.0.1:{s.ui.port}/"
    finally:
        app.close()


class TcpProxy:
    """A TCP forwarder in front of the model server, which a test can take down and bring back without touching
    the real server (other tests and developers share it)."""

    def __init__(self, target: str) -> None:
        url = urlparse(target)
        self.target = (url.hostname or "127.0.0.1", url.port or 80)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() below
            self._listener.close()
            self._listener = None
        for conn in self._open:  # keep-alive connections end too, as when a real server stops
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)  # close() alone would not wake the thread reading it
            conn.close()
        self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._open += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                s.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def url(settings: Settings, assistant: Assistant) -> Iterator[str]:
    yield from serve(settings, assistant)


@pytest.fixture
def dialogs() -> list[str]:
    return []


@pytest.fixture
def page(browser: Browser, dialogs: list[str], request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    pg.on("dialog", record)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"ui-{request.node.name}-end.png"), full_page=True)
    context.close()


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("#ga-status .ga-ok, #ga-status .ga-down", timeout=30_000)


def ask(page: Page, question: str) -> str:
    """Type a question, wait for its final message (answer, refusal or error), return that message's class."""
    done = page.locator(FINAL).count()
    page.wait_for_selector("#ga-input textarea:not([disabled])")
    page.fill("#ga-input textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll({FINAL!r}).length > {done}", timeout=ANSWER_TIMEOUT_MS)
    return str(page.locator(FINAL).last.get_attribute("class"))


def test_seed_question_streams_a_cited_answer_and_a_click_highlights_its_source(
        page: Page, url: str, seed_path: Path) -> None:
    open_app(page, url)
    page.evaluate(WATCH_JS)
    assert ask(page, "When will Kishida visit the U.S.?") == "ga-msg ga-answer"
    seen = page.evaluate("window.__gaSeen")
    assert seen.index("ga-msg ga-pending") < seen.index("ga-msg ga-answer")  # shown in steps, not in one go
    answer = page.locator(FINAL).last
    assert "April 10" in answer.locator(".ga-text").inner_text()
    assert "Searched:" in answer.inner_text() and "total" in answer.locator(".ga-timings").inner_text()

    answer.locator("a.ga-cite").first.click()
    card = page.locator("#ga-sources .ga-citation.ga-active")
    card.wait_for()
    highlighted = " ".join(card.locator("mark").inner_text().split())
    assert highlighted and highlighted in " ".join(seed_path.read_text().split())
    assert "characters" in card.inner_text() and seed_path.name in card.inner_text()

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "ui-citation.png"
    page.screenshot(path=str(shot))
    if os.environ.get("ASSISTANT_UPDATE_SCREENSHOT") == "1":
        (PROJECT_ROOT / "docs").mkdir(exist_ok=True)
        shutil.copyfile(shot, PROJECT_ROOT / "docs" / "screenshot.png")


def test_every_passage_sent_to_the_model_is_listed(page: Page, url: str) -> None:
    open_app(page, url)
    ask(page, "What did the U.S. restrict?")
    page.locator(FINAL).last.locator("a.ga-show").click()
    listed = page.locator("#ga-sources .ga-turn.ga-current details.ga-all[open] .ga-passage")
    listed.first.wait_for()
    assert listed.count() >= 1
    assert re.search(r"score -?\d\.\d\d", listed.first.inner_text())


def test_question_outside_the_documents_is_refused_visibly(page: Page, url: str) -> None:
    open_app(page, url)
    assert ask(page, "What is the capital of France?") == "ga-msg ga-refusal"
    refusal = page.locator(FINAL).last
    assert "not in the documents" in refusal.inner_text().lower()
    assert refusal.locator("a.ga-cite").count() == 0


def test_a_question_in_spanish_shows_what_was_searched_and_its_language(page: Page, url: str) -> None:
    open_app(page, url)
    assert ask(page, "¿Cuándo visitará Kishida los Estados Unidos?") == "ga-msg ga-answer"
    answer = page.locator(FINAL).last
    assert "April 10" in answer.locator(".ga-text").inner_text()
    searched = answer.locator(".ga-query").inner_text()
    assert searched.startswith("Searched (translated from es by Apertium):") and "Kishida" in searched


def test_sessions_keep_their_own_history_and_new_chat_clears(browser: Browser, page: Page, url: str) -> None:
    open_app(page, url)
    ask(page, "When will Kishida visit the U.S.?")
    other = browser.new_context().new_page()
    open_app(other, url)
    assert other.locator("#ga-chat .ga-msg").count() == 0
    other.context.close()

    page.click("#ga-new-chat")
    page.wait_for_selector("#ga-sources .ga-empty")
    assert page.locator("#ga-chat .ga-msg").count() == 0


def test_html_in_documents_is_shown_as_text_and_never_runs(
        browser: Browser, settings: Settings, tmp_path: Path, dialogs: list[str], page: Page) -> None:
    from assistant.ingest import run_ingest

    doc = tmp_path / "docs" / "zephyr <b>notes<i>.txt"
    doc.parent.mkdir()
    doc.write_text(HOSTILE)
    hostile = settings.model_copy(update={"data_dir": tmp_path / "data"})
    report = run_ingest([doc.parent], hostile, prune=False, console=None)
    assert report.ok, report.summary()
    for app_url in serve(hostile, Assistant.from_settings(hostile)):
        open_app(page, app_url)
        ask(page, "When did the Zephyr research station open?")
        page.locator(FINAL).last.locator("a.ga-show").click()
        page.locator("#ga-sources details.ga-all[open]").wait_for()
        shown = page.locator("#ga-sources").inner_text()
        assert "<img src=x onerror=alert(1)>" in shown and "<script>" in shown and "<b>notes<i>" in shown
        page.wait_for_timeout(500)  # give a broken image's onerror the time it would need
        assert page.locator("img[src='x'], img[src='y']").count() == 0
        assert page.evaluate("window.__xss") is None
        assert dialogs == []


def test_documents_added_in_the_browser_are_indexed_kept_and_answered_from(
        browser: Browser, settings: Settings, tmp_path: Path, page: Page) -> None:
    """From an empty index: two files uploaded at once, one good and one broken; the good one is answered from,
    then removed."""
    notes = tmp_path / "picked" / "zephyr notes.txt"
    notes.parent.mkdir()
    notes.write_text("Zephyr Station field notes\n\nThe Zephyr research station in Antarctica opened in March 2019 "
                     "and houses twelve scientists. Its director is Dr. Mara Lind.\n")
    broken = notes.parent / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 this is not really a PDF")
    fresh = settings.model_copy(update={"data_dir": tmp_path / "data"})
    for app_url in serve(fresh, Assistant.from_settings(fresh)):
        open_app(page, app_url)
        page.wait_for_selector("#ga-documents .ga-empty")  # the panel is open: nothing to ask about yet
        page.set_input_files("#ga-upload input[type=file]", [str(notes), str(broken)])
        report = page.locator("#ga-added .ga-ingest")
        report.wait_for(timeout=ANSWER_TIMEOUT_MS)
        assert "zephyr notes.txt added" in report.inner_text()
        assert "broken.pdf was not added:" in report.inner_text()
        assert "1 document, 1 passage" in page.locator("#ga-documents").inner_text()
        kept = tmp_path / "data" / "uploads"
        assert sorted(p.name for p in kept.iterdir()) == ["zephyr notes.txt"]  # the broken file is not kept

        assert ask(page, "When did the Zephyr research station open?") == "ga-msg ga-answer"
        answer = page.locator(FINAL).last
        assert "2019" in answer.locator(".ga-text").inner_text()
        answer.locator("a.ga-cite").first.click()
        card = page.locator("#ga-sources .ga-citation.ga-active")
        card.wait_for()
        assert "zephyr notes.txt" in card.inner_text()
        assert card.locator(".ga-source").first.get_attribute("title") == str(kept / "zephyr notes.txt")

        page.click("#ga-remove input")
        page.get_by_role("option", name="zephyr notes.txt").click()
        page.click("#ga-remove-button")
        page.wait_for_selector("#ga-documents .ga-empty", timeout=ANSWER_TIMEOUT_MS)
        assert "zephyr notes.txt removed from the index" in page.locator("#ga-added").inner_text()
        assert list(kept.iterdir()) == []
        assert ask(page, "When did the Zephyr research station open?") == "ga-msg ga-error"  # the index is empty


def test_server_loss_shows_a_readable_error_and_the_app_recovers(
        settings: Settings, page: Page) -> None:
    proxy = TcpProxy(settings.ollama.host)
    proxy.start()
    via_proxy = settings.model_copy(
        update={"ollama": settings.ollama.model_copy(update={"host": proxy.url, "manage": False})})
    try:
        for app_url in serve(via_proxy, Assistant.from_settings(via_proxy)):
            open_app(page, app_url)
            assert ask(page, "When will Kishida visit the U.S.?") == "ga-msg ga-answer"

            proxy.stop()
            assert ask(page, "What did the U.S. restrict?") == "ga-msg ga-error"
            error = page.locator(FINAL).last.inner_text()
            assert proxy.url.removeprefix("http://") in error or "reach" in error.lower()
            assert "Traceback" not in page.content()
            page.wait_for_selector("#ga-status .ga-down")

            proxy.start()
            assert ask(page, "When will Kishida visit the U.S.?") == "ga-msg ga-answer"
            page.wait_for_selector("#ga-status .ga-ok")
    finally:
        proxy.stop()


def test_chat_endpoint_answers_scripted_users_with_plain_text(url: str) -> None:
    client = Client(url, verbose=False)
    job = client.submit("When will Kishida visit the U.S.?", api_name="/chat")
    text = job.result()
    assert isinstance(text, str) and re.search(r"\[\d+\]", text) and "April 10" in text
    assert "<" not in text
    steps = job.outputs()
    assert all(steps[i + 1].startswith(steps[i]) for i in range(len(steps) - 1))  # streamed: each extends the last
    assert client.predict("What is the capital of France?", api_name="/chat").startswith("I can't answer")
