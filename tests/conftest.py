"""Fixtures for the integration tests: a real Ollama with the bundled models and a real Chroma holding the seed.

The server is the one answering at ASSISTANT_OLLAMA__HOST (default 127.0.0.1:11434), or one these fixtures start
(and stop). A missing service fails the tests that need it; it never skips them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from assistant.config import PROJECT_ROOT, Settings, load_settings

pytest_plugins = ["tests.integration.conftest_store"]

SEED = next((PROJECT_ROOT / "assistant" / "seeds").glob("*.txt"))


@pytest.fixture(scope="session", autouse=True)
def _ask_answers_in_its_own_process() -> Iterator[None]:
    """The `assistant ask` commands tests run answer in their own process (or through a server the test started):
    a background answer server would outlive the test it served. The tests of that server turn it on."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSISTANT_ASK__BACKGROUND_SERVER", "false")
        yield


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings on a fresh data dir, the model server up with the bundled models, the seed ingested."""
    from assistant.bootstrap import prepare

    data = tmp_path_factory.mktemp("data")
    s = load_settings(data_dir=data)
    _, server = prepare(s, Console(stderr=True), ingest_seeds=True, stop_at_exit=False)
    yield s
    if server is not None:
        server.stop()


@pytest.fixture(scope="session")
def assistant(settings: Settings):  # type: ignore[no-untyped-def]
    from assistant import Assistant

    return Assistant.from_settings(settings)
