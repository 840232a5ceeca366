"""Reading page images with RapidOCR: scanned PDF pages become text, offline, on the CPU.

RapidOCR (Apache-2.0) runs PaddleOCR's detection, orientation and recognition models
(Chinese and English in one recognition model) on ONNX Runtime, which the embedder already
uses.  The three models ship inside the ``rapidocr`` wheel; the engine is given their
paths, so it never looks for them on the network.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from models.reasons import Explained, Reason

MODEL_FILES = {
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
    "Cls.model_path": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}

_engine = None
_engine_lock = threading.Lock()


class OcrError(Explained, Exception):
    """OCR is not installed or its models are missing (``reason``: why)."""


def model_dir() -> Path:
    try:
        import rapidocr
    except ImportError as exc:
        raise OcrError(Reason("ocr_not_installed", "OCR is not installed (rapidocr: {error})",
                              error=str(exc))) from exc
    return Path(rapidocr.__file__).resolve().parent / "models"


def status() -> str:
    """One line for ``wenji doctor``: the OCR engine and whether its models are there."""
    try:
        folder = model_dir()
        from importlib.metadata import version

        missing = [name for name in MODEL_FILES.values() if not (folder / name).is_file()]
    except Exception as exc:  # doctor reports, never raises
        return f"unavailable: {exc}"
    if missing:
        return f"unavailable: models missing in {folder}: {', '.join(missing)}"
    return f"RapidOCR {version('rapidocr')} (PP-OCRv6 small, Chinese + English, in {folder})"


def engine(threads: int = 1):
    """The process's RapidOCR engine, made on first use (about 0.1 s)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            folder = model_dir()
            params = {key: str(folder / name) for key, name in MODEL_FILES.items()}
            for path in params.values():
                if not Path(path).is_file():
                    raise OcrError(Reason("ocr_model_missing", "OCR model missing: {path} "
                                          "(reinstall rapidocr)", path=path))
            # No per-line 0/180 degree classifier: PDFium renders a page upright (its
            # /Rotate applied) and the classifier flipped good English lines into junk
            # (accuracy 0.936 against 0.998 without it; bench/RESULTS.md).
            # "error": it warns on every blank page ("detection result is empty")
            params.update({"Global.log_level": "error", "Global.use_cls": False,
                           "EngineConfig.onnxruntime.intra_op_num_threads": max(1, threads),
                           "EngineConfig.onnxruntime.inter_op_num_threads": 1})
            from rapidocr import RapidOCR

            _engine = RapidOCR(params=params)
        return _engine


def read_image(image: np.ndarray, threads: int = 1) -> str:
    """The text of an RGB page image, one detected line per line, in RapidOCR's order
    (top to bottom, then left to right)."""
    result = engine(threads)(image)
    return "\n".join(line.strip() for line in (result.txts or ()) if line.strip())
