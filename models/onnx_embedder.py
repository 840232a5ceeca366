"""An ONNX version of a sentence-transformers model, made locally and cached.

Embedding is the slowest stage of ingest.  The model is exported with the classic
("eager") attention, so onnxruntime's transformer optimizer can fuse each layer's
attention, embedding layer-norm, skip layer-norms and GELU into single operators.  Two
precisions are kept apart in the cache:

* ``fp32`` (the default): the fused graph as is.  Its vectors are the PyTorch model's
  (cosine 1.000), and hybrid SciFact nDCG@10 is that of fp32 (bench/RESULTS.md).
* ``int8``: the fused graph quantised dynamically (int8 weights, per channel): faster
  than ``fp32``, at a small cost in retrieval quality (bench/RESULTS.md).

If the fusion fails (an architecture the optimizer does not know), the unfused graph is
used instead.  The export needs torch, transformers and onnx once; after that only
onnxruntime and tokenizers run.  Supports BERT-style encoders with mean or CLS pooling
(what sentence-transformers' ``1_Pooling`` folder says); anything else raises so the
caller can fall back to PyTorch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

from models.file_lock import exclusive

log = logging.getLogger(__name__)

EXPORT_VERSION = "2"  # 2: eager attention, fused by the ORT transformer optimizer
PRECISIONS = ("fp32", "int8")


# With several threads, run whole batches side by side on one one-thread session instead
# of splitting every operator of one batch across the threads: no wait at each operator for
# the slowest thread (faster on 2 cores: bench/RESULTS.md).
BATCH_PARALLEL = True


class EncodeAborted(RuntimeError):
    """encode() was stopped by abort()."""


def _fingerprint(model_dir: Path) -> str:
    h = hashlib.sha256(EXPORT_VERSION.encode())
    for name in sorted(os.listdir(model_dir)):
        p = model_dir / name
        if p.is_file() and not name.startswith("."):  # not the stamp of a made folder
            st = p.stat()
            h.update(f"{name}:{st.st_size}".encode())
    return h.hexdigest()[:16]


def _pooling(model_dir: Path) -> tuple[str, bool]:
    """(mode, normalize) from the sentence-transformers module list."""
    mode, normalize = "mean", False
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        modules = []
    for module in modules:
        kind = module.get("type", "")
        if kind.endswith("Pooling"):
            conf = json.loads((model_dir / module["path"] / "config.json").read_text())
            if conf.get("pooling_mode_cls_token"):
                mode = "cls"
            elif conf.get("pooling_mode_mean_tokens"):
                mode = "mean"
            else:
                raise ValueError(f"{model_dir}: pooling {conf} is not supported by the ONNX backend")
        elif kind.endswith("Normalize"):
            normalize = True
        elif kind.endswith("Dense"):
            raise ValueError(f"{model_dir}: a Dense layer is not supported by the ONNX backend")
    return mode, normalize


def _max_length(model_dir: Path) -> int:
    try:
        conf = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(conf.get("max_seq_length", 512))
    except (OSError, ValueError):
        return 512


def export_onnx(model_dir: Path, target: Path, precision: str = "int8") -> Path:
    """Export ``model_dir`` to a fused ONNX graph at ``target``, quantised to int8 if
    ``precision`` says so."""
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    try:  # the eager attention graph is the one the ORT fusions recognise
        base = AutoModel.from_pretrained(str(model_dir), local_files_only=True,
                                         attn_implementation="eager")
    except (TypeError, ValueError):
        base = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
    base.eval()

    class Encoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        ids = torch.ones(2, 16, dtype=torch.long)
        axes = {0: "batch", 1: "sequence"}
        torch.onnx.export(Encoder(base), (ids, torch.ones_like(ids), torch.zeros_like(ids)),
                          str(fp32), input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes,
                                        "token_type_ids": axes, "last_hidden_state": axes},
                          opset_version=17, dynamo=False)
        source = _fused(fp32, base.config) or fp32
        partial = Path(tmp) / target.name  # this process's own, renamed into place whole
        if precision == "int8":
            quantize_dynamic(str(source), str(partial), weight_type=QuantType.QInt8,
                             per_channel=True,
                             # the fused operators (com.microsoft domain) have no shape
                             # inference; their outputs are float
                             extra_options={"DefaultTensorType": 1})
        else:
            source.replace(partial)
        partial.replace(target)
    return target


def _fused(fp32: Path, config) -> Path | None:
    """The graph with onnxruntime's BERT fusions (Attention, EmbedLayerNormalization,
    SkipLayerNormalization, BiasGelu) beside ``fp32``; None if the optimizer fails or
    fuses no attention (then quantising the plain graph is as good as it gets)."""
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        model = optimize_model(str(fp32), model_type="bert",
                               num_heads=int(getattr(config, "num_attention_heads", 0)),
                               hidden_size=int(getattr(config, "hidden_size", 0)),
                               opt_level=1)
        if not model.get_fused_operator_statistics().get("Attention"):
            log.info("%s: no attention fused; quantising the plain graph", fp32)
            return None
        out = fp32.with_name("fused.onnx")
        model.save_model_to_file(str(out))
        return out
    except Exception as exc:  # an architecture the optimizer does not handle
        log.info("%s: transformer fusion failed (%s); quantising the plain graph", fp32, exc)
        return None


def _quietly(fn, *args):
    """The exporter and quantiser warn about things that do not apply to this model
    (tracer notes, "consider pre-processing"); keep them out of the user's console."""
    import warnings

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)
    finally:
        root.setLevel(level)


def export_path(model_dir: Path, cache_dir: Path | None, precision: str = "int8") -> Path:
    """Where the export of ``model_dir`` at ``precision`` is cached (it exists once made)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown ONNX precision {precision!r} ({' or '.join(PRECISIONS)})")
    if cache_dir is None:
        import platformdirs

        cache_dir = Path(platformdirs.user_cache_dir("wenji", appauthor=False))
    folder = Path(cache_dir) / f"{Path(model_dir).name}-{_fingerprint(Path(model_dir))}"
    return folder / f"model-{precision}.onnx"


def _export_quietly(model_dir: str, target: str, precision: str) -> str:
    return str(_quietly(export_onnx, Path(model_dir), Path(target), precision))


def export_in_child(model_dir: Path, target: Path, precision: str = "int8") -> Path:
    """Run :func:`export_onnx` in a spawned process.

    Tracing and quantising hold the GIL for up to a second at a time for about a minute;
    in this process that would freeze a window's event loop, and torch's import would
    stay in memory for good.  The child does the work; this thread only waits.
    """
    import concurrent.futures as cf
    import multiprocessing as mp

    with cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        try:
            return Path(pool.submit(_export_quietly, str(model_dir), str(target),
                                    precision).result())
        except cf.process.BrokenProcessPool as exc:
            raise RuntimeError(f"{model_dir}: the ONNX export process died "
                               "(out of memory?)") from exc


class OnnxSentenceModel:
    """The few parts of SentenceTransformer's interface the Embedder uses."""

    def __init__(self, model_dir: Path, cache_dir: Path | None, threads: int,
                 precision: str = "int8"):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        self.pooling, self.normalize = _pooling(model_dir)
        self.max_seq_length = _max_length(model_dir)
        target = export_path(model_dir, cache_dir, precision)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Two processes starting at once (two clients of a shared library) export it
            # one after the other: the second finds it made (``models.file_lock``).
            with exclusive(target.with_suffix(".lock")):
                if not target.exists():
                    log.info("exporting %s to %s ONNX at %s (once)", model_dir, precision,
                             target)
                    export_in_child(model_dir, target, precision)
        self.path = target
        self._ort = ort
        self.threads = threads
        self._sessions: dict[int, object] = {}
        self.session = self._session(threads)
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_seq_length)
        self.tokenizer.enable_padding()
        self._lock = threading.Lock()  # tokenizers' padding state is per object
        self._dim: int | None = None
        self._active_runs: set = set()  # RunOptions of the session.run() calls under way
        self._aborted = False

    def _session(self, threads: int):
        """An inference session running on ``threads`` cores (made once per count).

        Ingest asks for fewer threads while PDF parsers run on the other cores: an ORT
        thread pool whose threads share a core with a parser waits at every operator for
        the slowest thread, which makes the whole batch slower than fewer threads would.
        """
        session = self._sessions.get(threads)
        if session is None:
            ort = self._ort
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Idle ORT threads must sleep, not spin, or they steal the parsers' CPU.
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            # No memory arena: it keeps the largest batch's activations for the life of
            # the session, per session (the pair has up to four), so an app that had
            # ingested held 3.9 GB instead of 0.85 GB (bench/RESULTS.md).
            opts.enable_cpu_mem_arena = False
            session = ort.InferenceSession(str(self.path), opts,
                                           providers=["CPUExecutionProvider"])
            self._sessions[threads] = session
        return session

    def abort(self) -> None:
        """Stop the encode() in progress from another thread (ingest cancel)."""
        self._aborted = True
        for options in list(self._active_runs):
            options.terminate = True

    def get_sentence_embedding_dimension(self) -> int:
        if self._dim is None:
            self._dim = int(self.encode(["dimension probe"]).shape[1])
        return self._dim

    def encode(self, texts: Sequence[str], batch_size: int = 32, threads: int | None = None,
               **_ignored) -> np.ndarray:
        """Batches of similar lengths; with several threads and several batches, each
        thread runs whole batches on a one-thread session (``BATCH_PARALLEL``) rather than
        all threads splitting every operator of one batch."""
        self._aborted = False
        threads = max(1, min(threads or self.threads, self.threads))
        order = np.argsort([len(t) for t in texts])  # similar lengths pad less
        batches = [order[s:s + batch_size] for s in range(0, len(texts), batch_size)]
        workers = min(threads, len(batches)) if BATCH_PARALLEL else 1
        with self._lock:
            session = self._session(1 if workers > 1 else threads)
        out: list[np.ndarray | None] = [None] * len(texts)
        if workers <= 1:
            for idx in batches:
                self._run_batch(session, texts, idx, out)
        else:
            self._run_parallel(session, texts, batches, out, workers)
        result = np.asarray(out, dtype=np.float32)
        if self.normalize:
            result /= np.clip(np.linalg.norm(result, axis=1, keepdims=True), 1e-12, None)
        return result

    def _run_parallel(self, session, texts, batches, out, workers: int) -> None:
        """``workers`` threads (this one included) take the next batch until none is left;
        the first error (or cancel) stops them all and is raised here."""
        pending = iter(batches)
        take = threading.Lock()
        errors: list[BaseException] = []

        def work() -> None:
            while not errors:
                with take:
                    idx = next(pending, None)
                if idx is None:
                    return
                try:
                    self._run_batch(session, texts, idx, out)
                except BaseException as exc:
                    errors.append(exc)
                    self.abort()  # the other threads stop at their next operator

        helpers = [threading.Thread(target=work, name=f"embed-{i}", daemon=True)
                   for i in range(workers - 1)]
        for t in helpers:
            t.start()
        work()
        for t in helpers:
            t.join()
        if errors:
            first = next((e for e in errors if not isinstance(e, EncodeAborted)), errors[0])
            raise first

    def _run_batch(self, session, texts, idx, out) -> None:
        with self._lock:
            enc = self.tokenizer.encode_batch([texts[i] for i in idx])
        ids = np.asarray([e.ids for e in enc], dtype=np.int64)
        mask = np.asarray([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feed["token_type_ids"] = np.zeros_like(ids)
        if self._aborted:
            raise EncodeAborted("embedding cancelled")
        options = self._ort.RunOptions()
        self._active_runs.add(options)
        try:
            if self._aborted:  # abort() ran between the check above and add()
                raise EncodeAborted("embedding cancelled")
            hidden = session.run(None, feed, options)[0]
        except EncodeAborted:
            raise
        except Exception as exc:
            if self._aborted:
                raise EncodeAborted("embedding cancelled") from exc
            raise
        finally:
            self._active_runs.discard(options)
        if self.pooling == "cls":
            vecs = hidden[:, 0]
        else:
            m = mask[..., None].astype(hidden.dtype)
            vecs = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
        for row, i in enumerate(idx):
            out[i] = vecs[row]
