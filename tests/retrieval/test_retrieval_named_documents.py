"""Questions that name documents ("Amazon's Q2 2023 10-Q", "the latest report") search
those documents: real filings that look alike, Markdown notes, Chinese titles."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.named_documents import build_profiles, question_words, resolve
from tests.conftest import SEC_DIR, require

FILINGS = [f"{period} {company}.pdf" for company in ("AAPL", "AMZN", "INTC")
           for period in ("2022 Q3", "2023 Q1", "2023 Q2", "2023 Q3")]


class Filings:
    """Twelve real 10-Qs of three companies: their profiles (file name and cover page,
    which is all that tells them apart) and the words of their whole text."""

    def __init__(self):
        from ingest.analyzer import tokenize
        from ingest.loaders import load

        documents, openings, self.texts = {}, {}, []
        for i, name in enumerate(FILINGS):
            path = require(SEC_DIR / name)
            doc = load(path)
            documents[i] = (str(path), doc.title or str(path))
            openings[i] = " ".join(s.text for s in doc.sections[:2])[:3000]
            self.texts.append(set(tokenize(" ".join(s.text for s in doc.sections))))
        self.profiles = build_profiles(documents, openings)

    def documents_with(self, word: str) -> int:
        return sum(1 for words in self.texts if word in words)

    def resolve(self, question: str):
        return resolve(question, self.profiles, self.documents_with)


@pytest.fixture(scope="module")
def filings():
    return Filings()


def names(named) -> list[str]:
    return sorted(Path(p).name for p in named.paths) if named else []


@pytest.mark.parametrize("question, expected", [
    ("In Amazon's Q2 2023 10-Q, how is employee compensation discussed?",
     ["2023 Q2 AMZN.pdf"]),
    ("What were Apple's net sales in the third quarter of 2022?", ["2022 Q3 AAPL.pdf"]),
    ("How has Intel's gross margin changed over time?",
     ["2022 Q3 INTC.pdf", "2023 Q1 INTC.pdf", "2023 Q2 INTC.pdf", "2023 Q3 INTC.pdf"]),
    ("Compare Apple's and Amazon's cash in Q1 2023.", ["2023 Q1 AAPL.pdf", "2023 Q1 AMZN.pdf"]),
])
def test_a_question_naming_filings_finds_them_among_look_alikes(filings, question, expected):
    assert names(filings.resolve(question)) == expected


def test_latest_picks_the_newest_of_the_named_documents(filings):
    named = filings.resolve("What did Amazon report in its latest 10-Q?")
    assert names(named) == ["2023 Q3 AMZN.pdf"] and named.latest
    newest = filings.resolve("What risks does the most recent filing list?")
    assert names(newest) == ["2023 Q3 AAPL.pdf", "2023 Q3 AMZN.pdf", "2023 Q3 INTC.pdf"]


@pytest.mark.parametrize("question", [
    "What was the total revenue for the quarter?",  # names nothing
    "What are the risk factors related to foreign exchange rates?",  # in every filing
])
def test_an_absent_or_ambiguous_mention_names_nothing(filings, question):
    assert filings.resolve(question) is None


def test_quarters_in_words_count_as_the_file_names_quarter():
    assert {"q2", "2023"} <= question_words("in the second quarter of 2023")
    assert "q3" in question_words("2023年第三季度的收入")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_documents_without_metadata_are_named_by_their_file_names(tmp_path):
    text = "This agreement is made between the parties. The term is twelve months."
    docs = {i: (str(write(tmp_path, name, text)), "")
            for i, name in enumerate(["lease-2021.md", "lease-2023.md", "notes.md"])}
    profiles = build_profiles(docs, {i: text for i in docs})
    assert names(resolve("What is the term of the 2023 lease?", profiles)) == ["lease-2023.md"]
    assert names(resolve("What does the latest lease say?", profiles)) == ["lease-2023.md"]
    assert resolve("What is the term of the agreement?", profiles) is None


def test_a_chinese_question_names_a_chinese_document_title(tmp_path):
    bodies = {"北京冬奥会总结.md": "本次活动圆满完成，各项工作顺利进行。",
              "上海世博会总结.md": "本次活动圆满完成，各项工作顺利进行。",
              "2023年度报告.md": "公司本年度营业收入稳步增长。"}
    docs = {i: (str(write(tmp_path, name, text)), "") for i, (name, text)
            in enumerate(bodies.items())}
    profiles = build_profiles(docs, {i: t for i, t in enumerate(bodies.values())})
    assert names(resolve("冬奥会总结里提到了哪些工作？", profiles)) == ["北京冬奥会总结.md"]
    assert resolve("活动是否圆满完成？", profiles) is None


def test_corpus_records_are_never_named():
    docs = {1: ("beir:1", "Amazon rainforest"), 2: ("beir:2", "Apple orchards")}
    profiles = build_profiles(docs, {1: "Amazon rainforest", 2: "Apple orchards"})
    assert profiles == [] and resolve("Amazon rainforest", profiles) is None


def test_the_retriever_searches_the_named_document_and_says_so(tmp_path, embedder):
    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from retrieval.retriever import Retriever

    bodies = {2021: "Revenue grew slowly while the new plant was built in Ohio.",
              2022: "Revenue grew by a third after the launch of the small tractor.",
              2023: "Revenue grew again; most of it came from spare parts and service."}
    for year, body in bodies.items():
        write(tmp_path, f"acme report {year}.md", f"# Annual report\n\n{body}\n")
    lib = Library(tmp_path / "store")
    try:
        Ingestor(lib, embedder).run([tmp_path], "notes")
        retriever = Retriever(lib, embedder)
        hits = retriever.search("How much did revenue grow in the 2022 report?", "notes", k=3)
        assert Path(hits[0].path).name == "acme report 2022.md"
        assert "searching in acme report 2022.md" in hits[0].explain()
        assert retriever.last_named.words == ["2022"]
        # the named document has one passage: the others fill the list, not as named
        assert len(hits) == 3 and not any(h.named for h in hits[1:])
        everywhere = retriever.search("How much did revenue grow?", "notes", k=3)
        assert len({h.path for h in everywhere}) == 3 and retriever.last_named is None
    finally:
        lib.close()


def test_a_real_filing_is_indexed_with_its_name_and_shown_with_neighbouring_text(
        tmp_path, embedder):
    """Every chunk of a real 10-Q saved as ``2023 Q1 AMZN kestrel.pdf`` answers to
    "kestrel", a word only its file name has; and a passage comes with the chunks around
    it on its page."""
    import shutil

    from ingest.pipeline import Ingestor
    from ingest.store.library import Library
    from retrieval.options import RetrievalOptions
    from retrieval.retriever import Retriever

    pdf = tmp_path / "docs" / "2023 Q1 AMZN kestrel.pdf"
    pdf.parent.mkdir()
    shutil.copy(require(SEC_DIR / "2023 Q1 AMZN.pdf"), pdf)
    lib = Library(tmp_path / "store")
    try:
        Ingestor(lib, embedder, parse_workers=0).run([pdf.parent], "filings")
        kb = lib.kb("filings")
        chunks = lib.catalog.chunk_count(kb.id)
        assert not any("kestrel" in r.text.lower() for r in
                       lib.catalog.chunks_by_ids(lib.catalog.chunk_ids(kb.id)).values())
        by_name = Retriever(lib, embedder, RetrievalOptions(fusion="keyword", window=0,
                                                            named_documents=False))
        assert len(by_name.search("kestrel", "filings", k=50)) == 50 < chunks
        question = "What were the total net sales and the operating income?"
        alone = Retriever(lib, embedder, RetrievalOptions(window=0)).search(
            question, "filings", k=3)
        widened = Retriever(lib, embedder).search(question, "filings", k=3)
        assert [h.chunk_id for h in widened] == [h.chunk_id for h in alone]
        rows = lib.catalog.chunks_by_ids([c for h in widened for c in h.chunk_ids])
        assert sum(len(h.chunk_ids) for h in widened) > sum(len(h.chunk_ids) for h in alone)
        for a, w in zip(alone, widened):
            assert a.text in w.text and w.start <= a.start and w.end >= a.end
            assert {rows[c].page for c in w.chunk_ids} == {w.page}  # one page, one citation
        held = [c for h in widened for c in h.chunk_ids]
        assert len(held) == len(set(held))  # no text shown twice
    finally:
        lib.close()
