"""The int8 ONNX embedder with fewer threads for one call (what ingest asks while its
parser processes hold cores): the same vectors, from its own session."""

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


def test_the_int8_export_has_fused_attention_and_stays_close_to_fp32(embedder):
    """The export is the ORT-fused graph (one QAttention per layer, not the ~20 plain
    operators of the traced attention) and its vectors stay within int8 noise of the
    fp32 PyTorch model's."""
    import onnx

    from models.embedder import Embedder

    model = embedder.load()
    ops = [n.op_type for n in onnx.load(str(model.path)).graph.node]
    assert ops.count("QAttention") == 6, sorted(set(ops))  # MiniLM-L6: six layers
    assert "Softmax" not in ops
    texts = ["The new MacBook Air is powered by the Apple M2 chip.",
             "Net sales increased 2% during the third quarter of 2022.",
             "北京冬奥会于2022年2月4日开幕。"]
    cos = (embedder.encode(texts) * Embedder(backend="torch").encode(texts)).sum(1)
    assert cos.min() > 0.98, cos
