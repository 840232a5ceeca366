"""The ONNX embedders: the fp32 export gives the PyTorch model's vectors, the default int8
one stays close to them; fewer threads for one call (what ingest asks while its parser
processes hold cores) give the same vectors, from their own session."""

import json

import numpy as np

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


def _torch_vectors(cache) -> np.ndarray:
    from models.embedder import Embedder

    return Embedder(backend="torch", cache_dir=cache).encode(TEXTS)


def test_the_fp32_export_is_fused_with_the_models_own_vectors(shared_cache):
    """The fp32 export is the fused graph (one Attention per layer, no quantised
    operator) and gives the PyTorch model's vectors."""
    import onnx

    from models.embedder import Embedder

    fp32 = Embedder(backend="onnx-fp32", cache_dir=shared_cache / "embedders")
    model = fp32.load()
    ops = [n.op_type for n in onnx.load(str(model.path)).graph.node]
    assert ops.count("Attention") == 12, sorted(set(ops))  # e5-small: twelve layers
    assert not {"QAttention", "MatMulInteger", "DynamicQuantizeLinear"} & set(ops)
    cos = (fp32.encode(TEXTS) * _torch_vectors(shared_cache / "embedders")).sum(1)
    assert cos.min() > 0.9999, cos


def test_the_default_int8_export_has_fused_attention_and_stays_close_to_fp32(embedder,
                                                                             shared_cache):
    """A new data folder embeds with the int8 export: the ORT-fused graph (one QAttention
    per layer, not the ~20 plain operators of the traced attention), its vectors within
    int8 noise of the fp32 PyTorch model's, but not the same."""
    import onnx

    assert embedder.onnx_precision == "int8"
    model = embedder.load()
    assert model.path.name == "model-int8.onnx"
    ops = [n.op_type for n in onnx.load(str(model.path)).graph.node]
    assert ops.count("QAttention") == 12, sorted(set(ops))  # e5-small: twelve layers
    assert "Softmax" not in ops
    cos = (embedder.encode(TEXTS) * _torch_vectors(shared_cache / "embedders")).sum(1)
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
