"""OCR character accuracy and speed against known text, to choose the PDF render scale.

    .venv/bin/python bench/ocr_accuracy.py [--scales 1.5,2.0,2.5,3.0] [--pages-only]
                                           [--scanned-only] [--cls on|off|both]
                                           [--threads 2] [--max-side-len N] [--show-text]

Takes PDF pages that DO have a text layer (two English, two Chinese), reads their true text
with PDFium (``get_textpage().get_text_range()``), renders each page with PDFium at every
``--scales`` value (PDF points x scale = pixels; scale 1 = 72 dpi), OCRs the image with
RapidOCR (PP-OCRv6 small det/rec + mobile cls, the models inside the ``rapidocr`` wheel;
nothing is downloaded) and compares.  Both sides have ALL whitespace removed, then:

* **char acc** = 1 - Levenshtein(ref, hyp) / len(ref): ordered, so lines that OCR reads in
  another order than the text layer count as errors (can go below 0);
* **bag F1** = 2 * |multiset intersection| / (|ref| + |hyp|): order-free;
* the same two after Unicode NFKC on both sides (``NFKC``): full-width and half-width forms
  (``（`` vs ``(``, ``，`` vs ``,``, ``：`` vs ``:``) count as equal.

Seconds are the median of 2 OCR calls per page and scale, after one warm-up call on the
same image (rendering is timed separately): wall seconds, the process CPU seconds of the
same call (all threads; less sensitive to other jobs on a shared machine), and RapidOCR's
own det / cls / rec split of the wall time.  The first call of the process (model load and
ONNX Runtime warm-up) is reported on its own.  Note that RapidOCR shrinks any image whose
longer side exceeds ``Global.max_side_len`` (2000 px by default) before detection AND
recognition; the "OCR input px" column shows the size it really worked on.

``--cls`` chooses RapidOCR's per-line 0/180 degree classifier (``Global.use_cls``): ``on``
(the library default), ``off``, or ``both`` (two engines, every measurement made with each).

Then (unless ``--pages-only``) OCRs the three scanned PDFs that have no text layer at scale
2.0 and prints pages/second per file and the first 200 characters of each first page.
``--scanned-only`` runs only that part.  Prints Markdown; writes nothing.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import os
import random
import statistics
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
PDFS = DATA / "pdfs"

MODEL_FILES = {
    "Det.model_path": "PP-OCRv6_det_small.onnx",
    "Rec.model_path": "PP-OCRv6_rec_small.onnx",
    "Cls.model_path": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
}
SCANNED = [
    (PDFS / "pymupdf_tests" / "test_3863.pdf"),
    (PDFS / "pymupdf_tests" / "test_4034.pdf"),
    (PDFS / "pdfplumber_tests" / "issue-203-decimalize.pdf"),
]
SCANNED_SCALE = 2.0


# --------------------------------------------------------------------------- metrics

def squeeze(text: str, nfkc: bool = False) -> str:
    """The text with every whitespace character removed (optionally NFKC-normalised first)."""
    if nfkc:
        text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not ch.isspace())


def levenshtein(a: str, b: str) -> int:
    """Edit distance (unit costs), the O(n*m) dynamic program over two rows.

    Each row is computed with numpy: deletions and substitutions come from the previous
    row element-wise; insertions (left neighbour + 1 within the row) are a running
    minimum, D[j] = j + min_{k<=j}(A[k] - k)."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    bs = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(b) + 1, dtype=np.int64)
    prev = idx.copy()
    for i, ch in enumerate(a, 1):
        cost = (bs != ord(ch)).astype(np.int64)
        cand = np.empty_like(prev)
        cand[0] = i
        cand[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        prev = np.minimum.accumulate(cand - idx) + idx
    return int(prev[-1])


def _levenshtein_plain(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _self_check() -> None:
    rng = random.Random(0)
    for _ in range(300):
        a = "".join(rng.choice("ab中文c") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("ab中文c") for _ in range(rng.randint(0, 12)))
        assert levenshtein(a, b) == _levenshtein_plain(a, b), (a, b)


def char_accuracy(ref: str, hyp: str) -> float:
    return 1.0 - levenshtein(ref, hyp) / len(ref) if ref else float("nan")


def bag_f1(ref: str, hyp: str) -> float:
    if not ref and not hyp:
        return 1.0
    common = sum((collections.Counter(ref) & collections.Counter(hyp)).values())
    return 2.0 * common / (len(ref) + len(hyp))


def confusions(ref: str, hyp: str) -> collections.Counter:
    """Short differences 'ref -> hyp' (substitutions, drops, insertions) along an alignment."""
    out: collections.Counter = collections.Counter()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ref, hyp, autojunk=False).get_opcodes():
        if op == "equal" or max(i2 - i1, j2 - j1) > 4:
            continue
        out[f"{ref[i1:i2] or '∅'}→{hyp[j1:j2] or '∅'}"] += 1
    return out


# --------------------------------------------------------------------------- OCR

def make_engine(threads: int, max_side_len: int | None, use_cls: bool = True):
    import rapidocr
    from rapidocr import RapidOCR

    md = Path(rapidocr.__file__).resolve().parent / "models"
    params = {key: str(md / name) for key, name in MODEL_FILES.items()}
    params.update({"Global.log_level": "warning",
                   "EngineConfig.onnxruntime.intra_op_num_threads": threads})
    if max_side_len:
        params["Global.max_side_len"] = max_side_len
    if not use_cls:
        params["Global.use_cls"] = False
    return RapidOCR(params=params)


def render(pdf, index: int, scale: float) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    img = pdf[index].render(scale=scale).to_numpy()
    if img.ndim == 3 and img.shape[2] == 4:  # keep HxWx3 whatever the bitmap format
        img = img[:, :, :3]
    return np.ascontiguousarray(img), time.perf_counter() - started


def ocr_text(result) -> str:
    return "\n".join(t for t in (result.txts or ()) if t)


def timed_full(eng, img) -> tuple[object, float, float]:
    """The result, wall seconds and process CPU seconds of one OCR call."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = eng(img)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def split(result) -> str:
    """RapidOCR's det / cls / rec wall seconds."""
    parts = [v if isinstance(v, float) else 0.0 for v in (result.elapse_list or [])][:3]
    parts += [0.0] * (3 - len(parts))
    return " / ".join(f"{v:.1f}" for v in parts)


def ocr_input_size(img: np.ndarray, max_side: int) -> str:
    h, w = img.shape[:2]
    if max(h, w) > max_side:
        ratio = max_side / max(h, w)
        h, w = int(h * ratio), int(w * ratio)
    return f"{w}×{h}"


def find_10q() -> Path:
    files = sorted((DATA / "sec10q").rglob("*.pdf"))
    for f in files:
        if f.name == "2023 Q1 AAPL.pdf":
            return f
    if not files:
        raise SystemExit(f"no PDFs under {DATA / 'sec10q'}")
    return files[0]


# --------------------------------------------------------------------------- parts

def text_layer_pages(engines: list[tuple[str, object]], scales: list[float], max_side: int,
                     show: bool) -> None:
    import pypdfium2

    tenq = find_10q()
    pages = [
        ("test_3842.pdf p8 (NIST report)", "en", PDFS / "pymupdf_tests" / "test_3842.pdf", 8),
        (f"{tenq.name} p3 (10-Q table)", "en", tenq, 3),
        ("chinese-tables.pdf p0", "zh", PDFS / "pymupdf_tests" / "chinese-tables.pdf", 0),
        ("issue-67-example.pdf p2", "zh", PDFS / "pdfplumber_tests" / "issue-67-example.pdf", 2),
    ]
    rows = []
    errors: dict[tuple, collections.Counter] = {}
    bags: dict[tuple, tuple[collections.Counter, collections.Counter]] = {}
    samples: dict[tuple, tuple[str, str]] = {}
    for label, lang, path, index in pages:
        pdf = pypdfium2.PdfDocument(str(path))
        truth = pdf[index].get_textpage().get_text_range()
        for scale in scales:
            img, render_s = render(pdf, index, scale)
            for mode, eng in engines:
                first, _, _ = timed_full(eng, img)                 # warm-up on this image
                runs = [timed_full(eng, img) for _ in range(2)]
                hyp_raw = ocr_text(first)
                stable = all(ocr_text(r) == hyp_raw for r, _, _ in runs)
                ref, hyp = squeeze(truth), squeeze(hyp_raw)
                ref_n, hyp_n = squeeze(truth, True), squeeze(hyp_raw, True)
                scores = list(first.scores or ())
                key = (label, scale, mode)
                rows.append({
                    "page": label, "lang": lang, "scale": scale, "cls": mode,
                    "px": f"{img.shape[1]}×{img.shape[0]}",
                    "in_px": ocr_input_size(img, max_side),
                    "render": render_s,
                    "secs": statistics.median(s for _, s, _ in runs),
                    "cpu": statistics.median(c for _, _, c in runs),
                    "split": split(runs[0][0]),
                    "lines": len(first.txts or ()),
                    "min_score": min(scores) if scores else float("nan"),
                    "ref": len(ref), "hyp": len(hyp),
                    "acc": char_accuracy(ref, hyp), "f1": bag_f1(ref, hyp),
                    "acc_n": char_accuracy(ref_n, hyp_n), "f1_n": bag_f1(ref_n, hyp_n),
                    "stable": stable,
                })
                errors[key] = confusions(ref_n, hyp_n)
                cr, ch = collections.Counter(ref_n), collections.Counter(hyp_n)
                bags[key] = (cr - ch, ch - cr)
                samples[key] = (truth, hyp_raw)
                r = rows[-1]
                print(f"  … {label} ×{scale} cls {mode}: {r['secs']:.2f} s wall, "
                      f"{r['cpu']:.2f} s CPU, acc {r['acc']:.3f}, F1 {r['f1']:.3f}",
                      file=sys.stderr, flush=True)
        del pdf

    print("\n## OCR accuracy on pages with a text layer\n")
    print(f"Page sizes: Letter 612×792 pt, A4 595×842 pt.  RapidOCR max_side_len = {max_side} "
          "(larger images are shrunk to it before detection and recognition).  "
          "OCR s = wall, median of 2 after a warm-up; CPU s = process CPU of the same calls; "
          "det / cls / rec = RapidOCR's split of one call's wall time.\n")
    print("| page | lang | scale | cls | image px | OCR input px | render s | OCR s | CPU s "
          "| det / cls / rec s | lines | min line score | ref chars | OCR chars "
          "| char acc (ordered) | bag-of-chars F1 | char acc NFKC | bag F1 NFKC |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        flag = "" if r["stable"] else " (runs differ)"
        print(f"| {r['page']} | {r['lang']} | {r['scale']:.1f} | {r['cls']} | {r['px']} "
              f"| {r['in_px']} | {r['render']:.2f} | {r['secs']:.2f}{flag} | {r['cpu']:.2f} "
              f"| {r['split']} | {r['lines']} | {r['min_score']:.2f} | {r['ref']} | {r['hyp']} "
              f"| {r['acc']:.3f} | {r['f1']:.3f} | {r['acc_n']:.3f} | {r['f1_n']:.3f} |")

    print("\n### Mean by language and scale\n")
    print("| lang | scale | cls | OCR s/page | CPU s/page | char acc (ordered) | bag-of-chars F1 "
          "| char acc NFKC | bag F1 NFKC |")
    print("|---|---|---|---|---|---|---|---|---|")
    for lang in ("en", "zh"):
        for mode, _ in engines:
            for scale in scales:
                sel = [r for r in rows
                       if r["lang"] == lang and r["scale"] == scale and r["cls"] == mode]
                if not sel:
                    continue
                mean = lambda k: statistics.fmean(r[k] for r in sel)  # noqa: E731
                print(f"| {lang} | {scale:.1f} | {mode} | {mean('secs'):.2f} | {mean('cpu'):.2f} "
                      f"| {mean('acc'):.3f} | {mean('f1'):.3f} | {mean('acc_n'):.3f} "
                      f"| {mean('f1_n'):.3f} |")

    print("\n### Differences per page (NFKC; ref→OCR, ∅ = nothing)\n")
    print("Aligned differences of up to 4 characters, then the order-free balance: characters "
          "of the text layer the OCR did not give (missing) and characters it gave in excess "
          "(extra).\n")
    for label, *_ in pages:
        for mode, _ in engines:
            for scale in scales:
                key = (label, scale, mode)
                top = errors[key].most_common(10)
                missing, extra = bags[key]
                fmt = lambda c: "".join(f"{k}×{v} " for k, v in c.most_common(15)).strip()  # noqa: E731
                print(f"- {label} ×{scale} cls {mode}: "
                      + (", ".join(f"`{k}`×{v}" for k, v in top) or "no aligned differences")
                      + f"; missing {sum(missing.values())}: `{fmt(missing) or '-'}`"
                      + f"; extra {sum(extra.values())}: `{fmt(extra) or '-'}`")

    if show:
        scale = 2.0 if 2.0 in scales else scales[0]
        mode = engines[0][0]
        for label, *_ in pages:
            truth, hyp = samples[(label, scale, mode)]
            print(f"\n#### {label} ×{scale} cls {mode}: text layer vs OCR (first 600 chars)\n")
            print("```\n" + truth[:600].replace("\r", "") + "\n```\n```\n" + hyp[:600] + "\n```")


def scanned_files(engines: list[tuple[str, object]], max_side: int) -> None:
    import pypdfium2

    print(f"\n## Scanned PDFs without a text layer (scale {SCANNED_SCALE})\n")
    print("One OCR call per page (the engine is already warm).\n")
    print("| file | cls | pages | image px (p0) | OCR input px (p0) | render s | OCR s | CPU s "
          "| pages/s (OCR) | pages/s (render+OCR) | lines | chars read | mean line score |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    firsts = []
    for path in SCANNED:
        pdf = pypdfium2.PdfDocument(str(path))
        images = [render(pdf, i, SCANNED_SCALE) for i in range(len(pdf))]
        n = len(pdf)
        del pdf
        for mode, eng in engines:
            render_total = sum(rs for _, rs in images)
            ocr_total = cpu_total = 0.0
            chars = lines = 0
            scores: list[float] = []
            first_text = ""
            for i, (img, _) in enumerate(images):
                result, secs, cpu = timed_full(eng, img)
                ocr_total += secs
                cpu_total += cpu
                text = ocr_text(result)
                chars += len(squeeze(text))
                lines += len(result.txts or ())
                scores += list(result.scores or ())
                if i == 0:
                    first_text = text
                print(f"  … {path.name} p{i} cls {mode}: {secs:.2f} s, "
                      f"{len(squeeze(text))} chars", file=sys.stderr, flush=True)
            img0 = images[0][0]
            mean_score = statistics.fmean(scores) if scores else float("nan")
            print(f"| {path.name} | {mode} | {n} | {img0.shape[1]}×{img0.shape[0]} "
                  f"| {ocr_input_size(img0, max_side)} | {render_total:.2f} | {ocr_total:.2f} "
                  f"| {cpu_total:.2f} | {n / ocr_total:.3f} "
                  f"| {n / (render_total + ocr_total):.3f} | {lines} | {chars} "
                  f"| {mean_score:.3f} |")
            firsts.append((path.name, mode, first_text))
    for name, mode, text in firsts:
        print(f"\n**{name}, page 0, cls {mode}: first 200 characters read** "
              "(lines joined with ' / '):\n")
        print("> " + " / ".join(text.splitlines())[:200])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scales", default="1.5,2.0,2.5,3.0",
                    help="comma-separated render scales (default 1.5,2.0,2.5,3.0)")
    ap.add_argument("--pages-only", action="store_true",
                    help="only the text-layer pages (skip the scanned PDFs)")
    ap.add_argument("--scanned-only", action="store_true",
                    help="only the scanned PDFs (skip the accuracy table)")
    ap.add_argument("--cls", choices=("on", "off", "both"), default="on",
                    help="RapidOCR's 0/180 degree line classifier (default on, as the library)")
    ap.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads")
    ap.add_argument("--max-side-len", type=int, default=None,
                    help="RapidOCR Global.max_side_len (library default 2000)")
    ap.add_argument("--show-text", action="store_true",
                    help="also print text layer vs OCR for each page at scale 2.0")
    args = ap.parse_args()
    scales = [float(s) for s in args.scales.split(",") if s.strip()]

    _self_check()
    import onnxruntime
    import pypdfium2
    from bench.machine_info import machine
    from importlib.metadata import version

    print(f"# OCR accuracy and speed ({time.strftime('%Y-%m-%d %H:%M')})\n")
    print(f"- machine: {machine()}; load average at start "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"- rapidocr {version('rapidocr')}, onnxruntime {onnxruntime.__version__}, "
          f"pypdfium2 {version('pypdfium2')}; intra_op_num_threads={args.threads}")

    modes = {"on": [True], "off": [False], "both": [True, False]}[args.cls]
    engines = []
    for use_cls in modes:
        started = time.perf_counter()
        eng = make_engine(args.threads, args.max_side_len, use_cls)
        made = time.perf_counter() - started
        pdf = pypdfium2.PdfDocument(str(PDFS / "pymupdf_tests" / "test_3842.pdf"))
        img, _ = render(pdf, 8, 2.0)
        del pdf
        _, cold, cold_cpu = timed_full(eng, img)
        _, warm, warm_cpu = timed_full(eng, img)
        mode = "on" if use_cls else "off"
        print(f"- engine (cls {mode}) made in {made:.2f} s; first OCR call {cold:.2f} s "
              f"({cold_cpu:.2f} s CPU), second call on the same image {warm:.2f} s "
              f"({warm_cpu:.2f} s CPU) (test_3842 p8, scale 2.0)")
        engines.append((mode, eng))
    max_side = int(engines[0][1].cfg.Global.max_side_len)

    if not args.scanned_only:
        text_layer_pages(engines, scales, max_side, args.show_text)
    if not args.pages_only:
        scanned_files(engines, max_side)
    print(f"\n- load average at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
