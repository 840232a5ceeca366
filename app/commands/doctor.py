"""``wenji doctor``: what Wenji found on this machine, and what to do about anything missing.

Exit 0 when the app can run (settings valid, libraries importable, an embedder and a
chat model present); 1 otherwise.  Never downloads anything.
"""

from __future__ import annotations

import importlib.metadata as md
import sys

from app.context import Context
from app.settings import ModelSettings, SettingsError

KEY_LIBRARIES = ["torch", "sentence-transformers", "chromadb", "llama-cpp-python", "pypdf",
                 "pypdfium2", "rapidocr", "PySide6-Essentials", "pyside6-pdf", "jieba",
                 "langchain-text-splitters", "langchain-core", "gguf", "platformdirs",
                 "onnxruntime"]


def register(sub) -> None:
    p = sub.add_parser("doctor", help="check the installation, data folder and models")
    p.set_defaults(func=run, needs_settings=False)


def run(args, ctx: Context) -> int:
    problems: list[str] = []
    out = sys.stdout

    def line(label: str, value: str) -> None:
        print(f"  {label:<24} {value}", file=out)

    print("Wenji doctor", file=out)
    print("Libraries", file=out)
    line("python", sys.version.split()[0])
    for name in KEY_LIBRARIES:
        try:
            line(name, md.version(name))
        except md.PackageNotFoundError:
            line(name, "MISSING")
            problems.append(f"{name} is not installed: run the set-up command from README.md")

    print("Data folder", file=out)
    line("home", str(ctx.home.root))
    line("settings", str(ctx.home.settings_path)
         + ("" if ctx.home.settings_path.exists() else " (not created yet: defaults)"))
    line("log", str(ctx.home.logs_dir / "wenji.log"))
    settings = None
    try:
        settings = ctx.home.load_settings()
        line("settings check", "ok")
    except SettingsError as exc:
        line("settings check", "ERROR")
        print(f"    {exc}", file=out)
        problems.append(f"fix or delete the settings file: {exc}")

    print("Embedder", file=out)
    try:
        from models.embedder_pair import open_embedder

        m = settings.models if settings else ModelSettings()
        emb = open_embedder(m.embedder or None, backend=m.embedder_backend,
                            cache_dir=ctx.home.models_dir / "embedders")
        line("model", emb.name + ("  (multilingual)" if emb.multilingual else ""))
        ready = "" if emb.prepared else "  (made on first use, about a minute, offline)"
        parts = [emb.wide, emb.english] if hasattr(emb, "wide") else [emb]  # the pair's two
        for part in parts:
            line("folder", str(part.model_dir) + ready)
        line("backend", emb.backend)
    except Exception as exc:
        line("folder", f"ERROR: {exc}")
        problems.append(f"embedder: {exc}")

    print("Chat models (GGUF)", file=out)
    try:
        from models import bundled

        bundled.ensure_chat_model(ctx.home.models_dir)
    except Exception as exc:
        problems.append(f"bundled chat model: {exc}")
    line("models folder", str(ctx.home.models_dir))
    found = _list_models(ctx, settings)
    usable = [m for m in found if not m[1]]
    for name, error, detail in found:
        line(name, f"ERROR: {error}" if error else detail)
    if not usable:
        problems.append("no usable GGUF model: add one with `wenji models add PATH`")

    print("PDF reader", file=out)
    try:
        from ingest import pdf

        line("text", pdf.engine_status())
    except Exception as exc:
        line("text", f"ERROR: {exc}")
        problems.append(f"the PDF reader cannot be loaded: {exc}")
    from ingest import ocr

    ocr_line = ocr.status()
    on = settings.ingest.ocr
    line("OCR", ocr_line + ("" if on else " (turned off: setting ingest.ocr)"))
    if ocr_line.startswith("unavailable") and on:
        problems.append(f"OCR {ocr_line}: scanned pages cannot be read")

    print("llama.cpp", file=out)
    try:
        import llama_cpp

        line("llama-cpp-python", llama_cpp.__version__)
        gpu = bool(llama_cpp.llama_supports_gpu_offload())
        line("GPU offload", "yes" if gpu else
             "no (CPU build; for CUDA reinstall with CMAKE_ARGS=\"-DGGML_CUDA=on\")")
    except Exception as exc:
        line("llama-cpp-python", f"ERROR: {exc}")
        problems.append(f"llama.cpp cannot be loaded: {exc}")

    if problems:
        print("Problems", file=out)
        for p in problems:
            print(f"  - {p}", file=out)
        return 1
    print("Everything needed to run Wenji is here.", file=out)
    return 0


def _list_models(ctx: Context, settings) -> list[tuple[str, str | None, str]]:
    """(name, error or None, one-line description) for each GGUF found."""
    extra = settings.models.extra_model_dirs if settings else []
    try:
        from models.registry import Registry

        out = []
        for info in Registry(ctx.home.models_dir, extra).list():
            detail = ", ".join(x for x in (
                info.architecture, info.size_label if info.parameter_count else "",
                info.quantization, f"{info.size_bytes / 1e6:.0f} MB",
                f"context {info.context_length}" if info.context_length else "",
                "chat template" if info.has_chat_template else "no chat template") if x)
            out.append((info.name, info.error or None, detail))
        return out
    except ImportError:
        from pathlib import Path

        dirs = [ctx.home.models_dir, *map(Path, extra)]
        return [(p.name, None, f"{p.stat().st_size / 1e6:.0f} MB")
                for d in dirs if d.is_dir() for p in sorted(d.glob("*.gguf"))]
