"""The ONNX embedders: the default fp32 export gives the PyTorch model's vectors, the int8
one stays close to them; fewer threads for one call (what ingest asks while its parser
processes hold cores) give the same vectors, from their own session."""

import json

import numpy as np
import pytest

from tests.conftest import DATA, require


def test_fewer_threads_for_a_call_gives_the_same_vectors(embedder):
    texts = [json.loads(line)["text"]
             for line, _ in zip(open(require(DATA / "scifact/corpus.jsonl"), encoding="utf-8"),
                                range(12))]
    full = embedder.encode(texts)
    single = embedder.encode(texts, threads=1)
    assert full.shape == single.shape == (12, embedder.dimension)
    np.testing.assert_allclose(single, full, atol=1e-5)
    model = embedder.load()
    if embedder.threads > 1:  # a second session, made once and kept
        assert set(model._sessions) == {embedder.threads, 1}


TEXTS = ["The new MacBook Air is powered by the Apple M2 chip.",
         "Net sales increased 2% during the third quarter of 2022.",
         "北京冬奥会于2022年2月4日开幕。"]


def _torch_vectors() -> np.ndarray:
    from models.embedder import Embedder

    return Embedder(backend="torch").encode(TEXTS)


def test_the_default_export_is_fused_fp32_with_the_models_own_vectors(embedder):
    """A new data folder embeds with the fused fp32 graph (one Attention per layer, no
    quantised operator) and gets the PyTorch model's vectors."""
    import onnx

    assert embedder.onnx_precision == "fp32"
    model = embedder.load()
    ops = [n.op_type for n in onnx.load(str(model.path)).graph.node]
    assert ops.count("Attention") == 6, sorted(set(ops))  # MiniLM-L6: six layers
    assert not {"QAttention", "MatMulInteger", "DynamicQuantizeLinear"} & set(ops)
    cos = (embedder.encode(TEXTS) * _torch_vectors()).sum(1)
    assert cos.min() > 0.9999, cos


def test_the_int8_export_has_fused_attention_and_stays_close_to_fp32(shared_cache):
    """The int8 export is the ORT-fused graph (one QAttention per layer, not the ~20 plain
    operators of the traced attention) and its vectors stay within int8 noise of the
    fp32 PyTorch model's, but are not the same."""
    import onnx

    from models.embedder import Embedder

    int8 = Embedder(backend="onnx", cache_dir=shared_cache / "embedders")
    model = int8.load()
    assert model.path.name == "model-int8.onnx"
    ops = [n.op_type for n in onnx.load(str(model.path)).graph.node]
    assert ops.count("QAttention") == 6, sorted(set(ops))  # MiniLM-L6: six layers
    assert "Softmax" not in ops
    cos = (int8.encode(TEXTS) * _torch_vectors()).sum(1)
    assert 0.98 < cos.min() and cos.max() < 0.9999, cos


def _scifact_texts(n: int) -> list[str]:
    return [json.loads(line)["text"]
            for line, _ in zip(open(require(DATA / "scifact/corpus.jsonl"), encoding="utf-8"),
                               range(n))]


def test_batches_side_by_side_give_the_same_vectors_in_the_same_order(embedder, shared_cache):
    """Two threads each running whole batches on a one-thread session give what one
    thread running every batch gives, each vector at its own text's position."""
    from models.embedder import Embedder

    two = Embedder(backend="onnx", threads=2, cache_dir=shared_cache / "embedders")
    texts = _scifact_texts(70)  # three batches of 32 (the last one short)
    side_by_side = two.encode(texts)
    one_thread = two.encode(texts, threads=1)
    np.testing.assert_allclose(side_by_side, one_thread, atol=1e-5)
    alone = two.encode(texts[40:41])[0]
    assert float(side_by_side[40] @ alone) > 0.99


def test_abort_stops_batches_running_side_by_side(embedder, shared_cache):
    import threading
    import time

    from models.embedder import Embedder
    from models.onnx_embedder import EncodeAborted

    two = Embedder(backend="onnx", threads=2, cache_dir=shared_cache / "embedders")
    two.load()
    texts = _scifact_texts(600)
    outcome = {}

    def run():
        try:
            two.encode(texts)
            outcome["result"] = "finished"
        except EncodeAborted:
            outcome["result"] = "aborted"
            outcome["at"] = time.perf_counter()

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(1.0)
    asked = time.perf_counter()
    two.abort()
    worker.join(10)
    assert outcome.get("result") == "aborted", outcome
    assert outcome["at"] - asked < 1.0
    assert two.encode(texts[:3]).shape == (3, two.dimension)  # usable again


_OPEN_MODEL = """\
import logging, sys
from pathlib import Path
from models.onnx_embedder import OnnxSentenceModel
logging.basicConfig(level=logging.INFO, format="%(message)s")
model = OnnxSentenceModel(Path(sys.argv[1]), Path(sys.argv[2]), 1, precision="fp32")
print(model.encode(["a first sentence"]).shape)
"""


@pytest.mark.slow
def test_two_processes_opening_a_model_at_once_export_it_once(embedder, tmp_path):
    """Two clients of a shared library starting together, with no export made yet: the
    second used to rename the first's half-made file away (FileNotFoundError) and fail.
    Now one exports while the other waits, and both open the export."""
    import subprocess
    import sys

    from tests.conftest import REPO

    model_dir, cache = str(embedder.ensure_folder()), str(tmp_path / "cache")
    runs = [subprocess.Popen([sys.executable, "-c", _OPEN_MODEL, model_dir, cache], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outs = [run.communicate(timeout=600) for run in runs]
    for run, (out, err) in zip(runs, outs):
        assert run.returncode == 0, err[-3000:]
        assert out.strip() == f"(1, {embedder.dimension})"
    assert sum(err.count("exporting ") for _, err in outs) == 1, [err for _, err in outs]
    (made,) = (tmp_path / "cache").glob("*/model-fp32.onnx")
    assert not list(made.parent.glob("*.partial"))
