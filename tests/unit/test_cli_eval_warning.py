"""`assistant eval` without --questions scores the seed's questions: it says so when the index lacks the seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cli import _warn_if_seed_missing
from assistant.config import load_settings, package_data
from assistant.manifest import DocEntry, Manifest, manifest_path, write_manifest

PACKAGED = package_data("questions") / "eval_questions.yaml"


def test_the_seed_questions_on_an_index_without_the_seed_are_flagged(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(data_dir=tmp_path)
    mine = DocEntry(hash="h", generation="g", chunks=3)
    write_manifest(manifest_path(settings), Manifest(documents={str(tmp_path / "mine.txt"): mine}))
    _warn_if_seed_missing(settings, PACKAGED)
    assert "questions about the seed article, which the index does not hold" in capsys.readouterr().err

    own = tmp_path / "eval_questions.yaml"
    own.write_text("questions: []\n")
    _warn_if_seed_missing(settings, own)  # someone's own questions: nothing to say
    seed = str(next(package_data("seeds").glob("*.txt")).resolve())
    write_manifest(manifest_path(settings), Manifest(documents={seed: mine}))
    _warn_if_seed_missing(settings, PACKAGED)
    assert capsys.readouterr().err == ""
