"""Split sections into chunks measured in the embedding model's own tokens.

The embedder silently truncates anything past its max sequence length (256 word pieces
for MiniLM, special tokens included), so chunks are sized by that tokenizer, not by
characters, and any chunk still too long after LangChain's recursive splitting is cut
by token offsets.  Separators cover Chinese and English punctuation so a Chinese page
splits at sentence ends rather than mid-word.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingest.loaders import LoadedDocument

# Paragraph, line, sentence ends (Chinese full-width, then Latin), clause marks, words.
SEPARATORS = ["\n\n", "\n", "。", "！", "？", ". ", "! ", "? ", "；", "; ", "，", ", ", " ", ""]


@dataclass
class Chunk:
    text: str
    index: int  # position within its document
    page: int | None
    heading: str | None
    start: int  # character span within the page / section text
    end: int
    ocr: bool = False  # read by OCR
    page_label: str | None = None  # the page's label when it is not its number


class TokenCounter:
    """Counts word pieces with the embedder's fast tokenizer (no torch needed)."""

    def __init__(self, model_dir: Path):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.special = _special_token_count(Path(model_dir))

    def __call__(self, text: str) -> int:
        return len(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def offsets(self, text: str) -> list[tuple[int, int]]:
        return self.tokenizer.encode(text, add_special_tokens=False).offsets


def _special_token_count(model_dir: Path) -> int:
    """[CLS] and [SEP] for BERT-style models; read from the tokenizer's post-processor."""
    try:
        spec = json.loads((model_dir / "tokenizer.json").read_text(encoding="utf-8"))
        single = (spec.get("post_processor") or {}).get("single") or []
        return sum(1 for part in single if "SpecialToken" in part) or 2
    except (OSError, ValueError):
        return 2


def _prompt_tokens(model_dir: Path) -> int:
    """Tokens of the instruction the embedder puts before every passage ("passage: " for
    e5): they count against the model's limit too."""
    from models.embedder import read_prompts

    prompt = read_prompts(model_dir).get("document", "")
    return _counter(str(model_dir))(prompt) if prompt else 0


def max_chunk_tokens(model_dir: Path, wanted: int) -> int:
    """The chunk size to use: what the user wants, capped by what the model reads."""
    limit = _model_max_tokens(Path(model_dir))
    special = _special_token_count(Path(model_dir))
    return max(16, min(wanted, limit - special - _prompt_tokens(Path(model_dir))))


def _model_max_tokens(model_dir: Path) -> int:
    for name in ("sentence_bert_config.json", "tokenizer_config.json"):
        try:
            conf = json.loads((model_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for key in ("max_seq_length", "model_max_length"):
            value = conf.get(key)
            if isinstance(value, int) and 0 < value < 100_000:
                return value
    return 512


@lru_cache(maxsize=4)
def _counter(model_dir: str) -> TokenCounter:
    return TokenCounter(Path(model_dir))


class Splitter:
    """Turns a loaded document into chunks of at most ``chunk_tokens`` word pieces."""

    def __init__(self, model_dir: Path, chunk_tokens: int = 200, overlap: float = 0.15):
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.count = _counter(str(model_dir))
        self.limit = max_chunk_tokens(Path(model_dir), chunk_tokens)
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=self.limit,
            chunk_overlap=int(self.limit * overlap),
            length_function=self.count,
            separators=SEPARATORS,
            keep_separator="end",
            add_start_index=True,
            strip_whitespace=True,
        )

    def split(self, doc: LoadedDocument) -> list[Chunk]:
        chunks: list[Chunk] = []
        for section in doc.sections:
            for piece in self._splitter.create_documents([section.text]):
                start = piece.metadata.get("start_index", -1)
                for text, s in self._enforce_limit(piece.page_content, start):
                    if not text.strip():
                        continue
                    if s < 0:
                        s = section.text.find(text)
                    s = max(s, 0) + section.offset
                    chunks.append(Chunk(text=text, index=len(chunks), page=section.page,
                                        heading=section.heading, start=s, end=s + len(text),
                                        ocr=section.ocr, page_label=section.page_label))
        return chunks

    def _enforce_limit(self, text: str, start: int) -> list[tuple[str, int]]:
        """Merging pieces can overshoot by a token or two; cut by token offsets then."""
        if self.count(text) <= self.limit:
            return [(text, start)]
        offsets = self.count.offsets(text)
        out = []
        for i in range(0, len(offsets), self.limit):
            window = offsets[i:i + self.limit]
            a, b = window[0][0], window[-1][1]
            out.append((text[a:b], start + a if start >= 0 else -1))
        return out
