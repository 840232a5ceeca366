"""The one settings object, read from ``settings.toml`` in the data folder.

Every option has a default, so a missing or empty file is fine.  Values are checked
when the file is read: a bad one raises :class:`SettingsError` naming the file, the
key and the problem, because a silently ignored typo in a settings file is the kind
of bug a user never finds.  This module is Qt-free so the core and the CLI can use it.
"""

from __future__ import annotations

import dataclasses
import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from retrieval.options import RetrievalOptions

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.toml"
# models.embedder.BACKENDS, spelt out: importing it would load numpy before the window
# paints (a test keeps the two equal).
EMBEDDER_BACKENDS = ("onnx-fp32", "onnx", "torch")
# The keys a settings file may set, for sections whose object holds more than settings:
# the other fields of RetrievalOptions are tuned defaults (changed by `wenji eval` and
# the benchmarks), which a settings file neither sets nor gets written into.
USER_KEYS = {"retrieval": ("top_k", "fusion", "rrf_k", "mmr", "reranker", "min_relevance")}
# Keys of earlier versions that no longer do anything: a file that still has one loads
# (it was valid when written), and the log says the key is ignored.
RETIRED_KEYS = {"retrieval": ("use_keywords",)}


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names file, key and problem."""


@dataclass
class IngestSettings:
    max_file_mb: float = 200.0
    chunk_tokens: int = 200
    chunk_overlap: float = 0.15
    parse_workers: int = 1
    embed_batch: int = 8  # passages per ONNX batch: smaller is faster here (bench/RESULTS.md)
    ocr: bool = True  # read PDF pages without a text layer by OCR
    ocr_max_pages: int = 300  # OCR pages per document at most (a scan takes ~5 s a page)
    watch_folders: bool = True  # folders added are watched for changes (ingest.watcher)
    watch_quiet_s: float = 1.0  # a changed file is read once it has been quiet this long
    watch_poll_s: float = 30.0  # how often a folder on a network drive is scanned


@dataclass
class ModelSettings:
    # empty = the bundled English all-MiniLM-L6-v2; "multilingual-e5-small" = the bundled
    # multilingual model (Chinese and English); or a local sentence-transformers folder
    embedder: str = ""
    # "onnx-fp32" (exact, the default) | "onnx" (int8: 2.6x faster for e5, nDCG within
    # 0.001 there; about 0.003 lower for MiniLM) | "torch" (fp32)
    embedder_backend: str = "onnx-fp32"
    chat_model: str = ""  # empty = the bundled gemma-3-270m
    extra_model_dirs: list[str] = field(default_factory=list)
    threads: int = 0  # 0 = number of physical cores
    # where model downloads come from: empty = Hugging Face (or HF_ENDPOINT, if set); a
    # mirror's base URL such as https://hf-mirror.com
    hub_endpoint: str = ""


LANGUAGES = ("auto", "en", "zh")  # "auto": the system's (Chinese -> zh, else en)
THEMES = ("system", "light", "dark")  # "system": follows the system's light/dark


@dataclass
class UISettings:
    language: str = "auto"  # "auto" | "en" | "zh"
    theme: str = "system"  # "system" | "light" | "dark"


@dataclass
class SharedSettings:
    """A team's shared knowledge bases (``wenji server init`` prints these two lines).
    No password or token here: they are in the OS keyring (``wenji server login``) or
    in WENJI_SHARED_PASSWORD / WENJI_SHARED_TOKEN."""

    postgres: str = ""  # e.g. "host=db.example port=5432 dbname=wenji user=carol"
    chroma_url: str = ""  # e.g. "http://vectors.example:8000"


@dataclass
class Settings:
    ingest: IngestSettings = field(default_factory=IngestSettings)
    retrieval: RetrievalOptions = field(default_factory=RetrievalOptions)
    models: ModelSettings = field(default_factory=ModelSettings)
    ui: UISettings = field(default_factory=UISettings)
    shared: SharedSettings = field(default_factory=SharedSettings)

    # --- reading and writing -------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> "Settings":
        """Read ``path``; a missing file gives the defaults."""
        if not path.exists():
            return cls()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
        except OSError as exc:
            raise SettingsError(f"{path}: cannot be read: {exc.strerror or exc}") from exc
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict[str, Any], source: str = "settings") -> "Settings":
        settings = cls()
        sections = {f.name: f for f in dataclasses.fields(cls)}
        for name, value in raw.items():
            if name not in sections:
                raise SettingsError(
                    f"{source}: unknown section [{name}]; known sections: "
                    + ", ".join(sorted(sections))
                )
            if not isinstance(value, dict):
                raise SettingsError(f"{source}: [{name}] must be a table of keys")
            _fill_section(name, getattr(settings, name), value, f"{source}: [{name}]")
        settings.validate(source)
        return settings

    def to_dict(self) -> dict[str, Any]:
        return {name: {key: values[key] for key in _keys(name, getattr(self, name))}
                for name, values in dataclasses.asdict(self).items()}

    def save(self, path: Path) -> None:
        """Write atomically so a crash never leaves half a settings file."""
        self.validate(str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(tomli_w.dumps(self.to_dict()), encoding="utf-8")
        tmp.replace(path)

    # --- checks -------------------------------------------------------------------

    def validate(self, source: str = "settings") -> None:
        checks = [
            ("ingest", "max_file_mb", self.ingest.max_file_mb > 0, "must be greater than 0"),
            ("ingest", "chunk_tokens", 16 <= self.ingest.chunk_tokens <= 8192,
             "must be between 16 and 8192"),
            ("ingest", "chunk_overlap", 0 <= self.ingest.chunk_overlap < 0.5,
             "must be at least 0 and below 0.5"),
            ("ingest", "parse_workers", 0 <= self.ingest.parse_workers <= 64,
             "must be between 0 and 64"),
            ("ingest", "embed_batch", 1 <= self.ingest.embed_batch <= 4096,
             "must be between 1 and 4096"),
            ("ingest", "watch_quiet_s", 0.1 <= self.ingest.watch_quiet_s <= 600,
             "must be between 0.1 and 600 seconds"),
            ("ingest", "watch_poll_s", 1 <= self.ingest.watch_poll_s <= 86_400,
             "must be between 1 and 86400 seconds"),
            ("ingest", "ocr_max_pages", 0 <= self.ingest.ocr_max_pages <= 100_000,
             "must be between 0 and 100000"),
            ("retrieval", "top_k", 1 <= self.retrieval.top_k <= 100, "must be between 1 and 100"),
            ("retrieval", "fusion",
             self.retrieval.fusion in ("adaptive", "rrf", "keyword", "embedding"),
             "must be one of adaptive, rrf, keyword, embedding"),
            ("retrieval", "rrf_k", 1 <= self.retrieval.rrf_k <= 1000, "must be between 1 and 1000"),
            ("models", "embedder_backend", self.models.embedder_backend in EMBEDDER_BACKENDS,
             f"must be {', '.join(EMBEDDER_BACKENDS[:-1])} or {EMBEDDER_BACKENDS[-1]}"),
            ("models", "threads", 0 <= self.models.threads <= 256, "must be between 0 and 256"),
            ("models", "hub_endpoint",
             self.models.hub_endpoint == ""
             or self.models.hub_endpoint.startswith(("http://", "https://")),
             "must be empty or a URL starting with http:// or https://"),
            ("ui", "language", self.ui.language in LANGUAGES, "must be auto, en or zh"),
            ("ui", "theme", self.ui.theme in THEMES, "must be system, light or dark"),
        ]
        checks += [
            ("shared", "postgres", not _holds_password(self.shared.postgres),
             "must not hold a password: store it with `wenji server login` or set "
             "WENJI_SHARED_PASSWORD"),
            ("shared", "chroma_url", self.shared.chroma_url == ""
             or self.shared.chroma_url.startswith(("http://", "https://")),
             "must be empty or a URL starting with http:// or https://"),
        ]
        for section, key, ok, problem in checks:
            if not ok:
                value = getattr(getattr(self, section), key)
                shown = "(hidden)" if section == "shared" else repr(value)  # may hold a secret
                raise SettingsError(f"{source}: [{section}] {key} = {shown}: {problem}")


def _holds_password(conninfo: str) -> bool:
    if not conninfo:
        return False
    try:
        from psycopg.conninfo import conninfo_to_dict

        return "password" in conninfo_to_dict(conninfo)
    except Exception:  # not a connection string at all: said when connecting
        return "password" in conninfo.lower()


def _keys(name: str, section: Any) -> tuple[str, ...]:
    """The keys of section ``name`` that a settings file holds."""
    return USER_KEYS.get(name) or tuple(f.name for f in dataclasses.fields(section))


def _fill_section(name: str, section: Any, values: dict[str, Any], where: str) -> None:
    fields = _keys(name, section)
    for key, value in values.items():
        if key in RETIRED_KEYS.get(name, ()):
            log.warning("%s %s is no longer used; ignored", where, key)
            continue
        if key not in fields:
            raise SettingsError(
                f"{where} unknown key {key!r}; known keys: " + ", ".join(sorted(fields))
            )
        default = getattr(section, key)
        setattr(section, key, _coerce(value, default, f"{where} {key}"))


def _coerce(value: Any, default: Any, where: str) -> Any:
    """Accept a value of the default's type (ints where floats are expected)."""
    expected = type(default)
    if expected is bool:
        ok = isinstance(value, bool)
    elif expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected is list:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, expected)
    if not ok:
        kind = {bool: "true or false", float: "a number", int: "a whole number",
                list: "a list of strings", str: "a string"}.get(expected, expected.__name__)
        raise SettingsError(f"{where} = {value!r}: expected {kind}")
    return value
