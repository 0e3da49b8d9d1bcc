"""Prompt templates and the bundled Modelfile load and hold what the pipeline relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.bundled import CHAT_MODELFILE, parse_modelfile
from assistant.config import load_settings, package_data
from assistant.errors import ConfigError
from assistant.prompts import REQUIRED, Prompts


def test_every_prompt_loads_with_its_placeholders() -> None:
    prompts = Prompts.load(load_settings().prompts_dir)
    rendered = prompts.render_answer("When?", [(1, "First passage."), (3, "Third passage.")])
    assert "[1] First passage." in rendered and "[3] Third passage." in rendered and "When?" in rendered
    assert prompts.refusal


def test_prompt_with_a_missing_placeholder_is_a_config_error(tmp_path: Path) -> None:
    for name in REQUIRED:
        (tmp_path / f"{name}.txt").write_text((package_data("prompts") / f"{name}.txt").read_text())
    (tmp_path / "answer.txt").write_text("Passages: {passages}")
    with pytest.raises(ConfigError, match="question"):
        Prompts.load(tmp_path)


def test_missing_prompt_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        Prompts.load(tmp_path)


def test_bundled_modelfile_is_chatml_greedy_and_seeded() -> None:
    mf = parse_modelfile((package_data("modelfiles") / CHAT_MODELFILE).read_text())
    assert mf.from_file.endswith(".gguf")
    assert mf.template and "<|im_start|>" in mf.template
    assert mf.parameters["stop"] == ["<|im_start|>", "<|im_end|>"]
    assert mf.parameters["temperature"] == 0 and isinstance(mf.parameters["seed"], int)
    assert mf.parameters["num_ctx"] == 2048


def test_settings_default_to_the_folders_shipped_in_the_package(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.prompts_dir == package_data("prompts") and settings.seeds_dir == package_data("seeds")
    assert any(settings.seeds_dir.glob("*.txt"))
    assert load_settings(prompts_dir=tmp_path).prompts_dir == tmp_path  # other folders still allowed


def test_unknown_modelfile_instruction_is_rejected() -> None:
    with pytest.raises(ValueError, match="ADAPTER"):
        parse_modelfile("FROM x.gguf\nADAPTER y\n")
