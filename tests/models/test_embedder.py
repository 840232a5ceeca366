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
