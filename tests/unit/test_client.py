"""`assistant ask` through a running server: the settings fingerprint, the server's answer route (in-process
transport; the real sockets are in tests/integration/test_api_http.py), where the background server's socket may be,
and its idle clock."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.answer_server import _bind, _Idle
from assistant.api import build_api
from assistant.client import ANSWER_PATH, FINGERPRINT_PATH, NoSocketError, claimed_socket, fingerprint, socket_path
from assistant.config import load_settings
from assistant.errors import ConfigError, InvalidQuestionError
from assistant.results import Answer
from tests.unit.test_api import CITED, ScriptedAssistant


def test_fingerprint_ignores_where_the_ui_and_api_listen_but_not_what_answers(tmp_path: Path) -> None:
    base = fingerprint(load_settings(data_dir=tmp_path))
    assert fingerprint(load_settings(data_dir=tmp_path, api={"port": 9999, "host": "0.0.0.0"},
                                     ui={"port": 9998})) == base
    assert fingerprint(load_settings(data_dir=tmp_path / "other")) != base
    assert fingerprint(load_settings(data_dir=tmp_path, ollama={"chat_model": "llama3.2:3b"})) != base
    assert fingerprint(load_settings(data_dir=tmp_path, retrieval={"top_k": 6})) != base


def test_fingerprint_ignores_how_the_model_server_is_managed_and_compares_the_effective_index_path(
        tmp_path: Path) -> None:
    base = fingerprint(load_settings(data_dir=tmp_path))
    assert fingerprint(load_settings(data_dir=tmp_path, ollama={"num_parallel": 4, "manage": False})) == base
    assert fingerprint(load_settings(data_dir=tmp_path, chroma={"path": tmp_path / "chroma"})) == base
    assert fingerprint(load_settings(data_dir=tmp_path, chroma={"path": tmp_path / "elsewhere"})) != base


def test_fingerprint_changes_with_the_prompts_and_calibration_it_would_load(tmp_path: Path) -> None:
    prompts, calibration = tmp_path / "prompts", tmp_path / "calibration.json"
    prompts.mkdir()
    (prompts / "system.txt").write_text("Answer from the passages.")
    calibration.write_text("{}")
    settings = load_settings(data_dir=tmp_path, prompts_dir=prompts, answer={"calibration": calibration})
    before = fingerprint(settings)
    (prompts / "system.txt").write_text("Answer from the passages, briefly.")
    assert fingerprint(settings) != before
    edited = fingerprint(settings)
    calibration.write_text('{"gate_threshold": 0.5}')
    assert fingerprint(settings) != edited


def test_fingerprint_compares_paths_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert fingerprint(load_settings(data_dir=Path("data"))) == fingerprint(load_settings(data_dir=tmp_path / "data"))


def _post(http: TestClient, settings_fingerprint: str, question: str = "When is the visit?") -> dict[str, Any]:
    r = http.post(ANSWER_PATH, json={"question": question, "history": [{"role": "user", "content": "Hi"}],
                                     "fingerprint": settings_fingerprint})
    return {"status": r.status_code, "body": r.json()}


def test_the_server_gives_the_whole_answer_to_a_client_on_its_settings(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    fake = ScriptedAssistant()
    fake.enqueue("In April [1].", citations=[CITED])
    got = _post(TestClient(build_api(fake, settings)), fingerprint(settings))
    assert got["status"] == 200
    answer = Answer.model_validate(got["body"])
    assert answer.text == "In April [1]." and answer.citations == [CITED]
    assert fake.calls == [("When is the visit?", [{"role": "user", "content": "Hi"}])]
    assert TestClient(build_api(fake, settings)).get(FINGERPRINT_PATH).json() == {"fingerprint": fingerprint(settings)}


def test_a_client_on_other_settings_gets_a_409_and_no_answer(tmp_path: Path) -> None:
    fake = ScriptedAssistant()
    fake.enqueue("In April [1].", citations=[CITED])
    http = TestClient(build_api(fake, load_settings(data_dir=tmp_path)))
    got = _post(http, fingerprint(load_settings(data_dir=tmp_path / "elsewhere")))
    assert got["status"] == 409 and got["body"]["error"]["code"] == "settings_differ"
    assert fake.calls == []


def test_a_rejected_question_is_an_invalid_question_error_the_client_can_raise(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    fake = ScriptedAssistant()
    fake.script.append(InvalidQuestionError("The question is empty."))
    got = _post(TestClient(build_api(fake, settings)), fingerprint(settings), question=" ")
    assert got["status"] == 400
    assert got["body"]["error"] == {"message": "The question is empty.", "type": "invalid_request_error",
                                    "param": "messages", "code": "invalid_question"}


def test_the_answer_route_needs_the_token_when_one_is_set(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, api={"token": "s3cret"})
    fake = ScriptedAssistant()
    fake.enqueue("In April [1].", citations=[CITED])
    http = TestClient(build_api(fake, settings))
    assert _post(http, fingerprint(settings))["status"] == 401
    r = http.post(ANSWER_PATH, json={"question": "When?", "fingerprint": fingerprint(settings)},
                  headers={"Authorization": "Bearer s3cret"})
    assert r.status_code == 200 and r.json()["text"] == "In April [1]."


@pytest.fixture
def short_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary directory with a short path (a Unix socket's path is at most ~100 bytes), as the system's."""
    folder = Path(tempfile.mkdtemp(prefix="t", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_background_socket_lives_in_a_folder_only_this_user_can_open(short_tmp: Path, tmp_path: Path) -> None:
    path = socket_path("ab" * 32)
    assert path == short_tmp / f"assistant-{os.getuid()}" / f"{'ab' * 8}.sock"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert fingerprint(load_settings(data_dir=tmp_path)) != fingerprint(load_settings(data_dir=tmp_path / "x"))


def test_no_background_socket_where_others_could_listen(short_tmp: Path) -> None:
    folder = short_tmp / f"assistant-{os.getuid()}"
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)  # as another user's (or an attacker's) pre-made folder would be
    with pytest.raises(NoSocketError, match="only this user"):
        socket_path("ab" * 32)
    folder.rmdir()
    (short_tmp / "elsewhere").mkdir(mode=0o700)
    folder.symlink_to(short_tmp / "elsewhere")
    with pytest.raises(NoSocketError, match="only this user"):
        socket_path("ab" * 32)


def test_no_background_socket_on_a_path_too_long_for_a_unix_socket(short_tmp: Path) -> None:
    deep = short_tmp / ("d" * 90)
    deep.mkdir()
    tempfile.tempdir = str(deep)
    with pytest.raises(NoSocketError, match="too long"):
        socket_path("ab" * 32)


def test_a_server_binds_its_socket_in_place_of_a_file_that_is_not_one(short_tmp: Path) -> None:
    path = socket_path("ab" * 32)
    path.write_text("not a socket")
    with claimed_socket("ab" * 32) as claimed:
        sock = _bind(claimed)
    try:
        assert claimed == path and stat.S_ISSOCK(path.lstat().st_mode)
    finally:
        sock.close()


def test_the_fingerprint_takes_paths_as_the_code_opens_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    settings = load_settings(data_dir=Path("~/idx"))
    assert settings.data_dir == tmp_path / "home" / "idx"  # "~" is the home folder's, as in a shell
    assert fingerprint(settings) == fingerprint(load_settings(data_dir=tmp_path / "home" / "idx"))
    assert fingerprint(settings) != fingerprint(load_settings(data_dir=tmp_path / "~" / "idx"))


def test_the_private_socket_api_asks_no_token(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, api={"token": "s3cret"})
    fake = ScriptedAssistant()
    fake.enqueue("In April [1].", citations=[CITED])
    assert _post(TestClient(build_api(fake, settings, private=True)), fingerprint(settings))["status"] == 200


def test_idle_time_counts_from_the_end_of_the_last_request_and_is_zero_during_one() -> None:
    idle = _Idle()
    with idle.busy():
        time.sleep(0.02)
        assert idle.seconds() == 0.0
    time.sleep(0.02)
    assert 0.01 < idle.seconds() < 5


def test_a_home_folder_that_cannot_be_found_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot expand ~"):
        load_settings(data_dir=Path("~no-such-user-here/idx"))


@pytest.mark.parametrize(("token", "said"), [(None, "needs a token this command lacks"),
                                             ("wrong", "refuses this command's token")])
def test_a_server_that_turns_the_command_away_is_named_with_the_reason(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, token: str | None, said: str) -> None:
    from assistant import client

    monkeypatch.setattr(client, "_served", lambda *_: (401, b"{}"))
    skipped: list[str] = []
    settings = load_settings(data_dir=tmp_path, api={"token": token})
    assert client._answer_at(settings, lambda: None, "the server at X", "mine", "When?", None,  # type: ignore
                             skipped.append) is None
    assert skipped == [f"the server at X {said} (ASSISTANT_API__TOKEN); not asking it"]


def test_starting_a_background_server_sweeps_week_old_logs_of_others(tmp_path: Path) -> None:
    import os
    import time

    from assistant import client

    old = time.time() - client.STALE_AFTER_S - 60
    files = {name: tmp_path / name for name in ("aaa.log", "aaa.lock", "bbb.log", "ccc.log", "start.lock")}
    for f in files.values():
        f.write_text("")
        os.utime(f, (old, old))
    (tmp_path / "ccc.sock").write_text("")  # a server still listening there
    os.utime(files["bbb.log"], None)  # started today
    # a week-old socket: one a server still listens on stays, with its log; one a killed server left goes
    for name in ("ddd", "eee"):
        (tmp_path / f"{name}.log").write_text("")
        os.utime(tmp_path / f"{name}.log", (old, old))
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listening.bind(str(tmp_path / "ddd.sock"))
    listening.listen()
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(tmp_path / "eee.sock"))
    dead.close()
    for name in ("ddd.sock", "eee.sock"):
        os.utime(tmp_path / name, (old, old))
    try:
        client._sweep(tmp_path)
    finally:
        listening.close()
    assert sorted(f.name for f in tmp_path.iterdir()) == ["bbb.log", "ccc.log", "ccc.sock", "ddd.log", "ddd.sock",
                                                          "start.lock"]
