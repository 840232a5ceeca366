"""What the keyword index sees of a chunk (ingest.index_text)."""

from __future__ import annotations

from ingest.index_text import chunk_context, document_context, keyword_text


def test_every_chunk_of_a_file_carries_its_name_and_title():
    ctx = chunk_context("/docs/2023 Q2 AMZN.pdf", "0001018724-23-000012", 7)
    assert ctx == "2023 Q2 AMZN 0001018724-23-000012"
    assert document_context("/docs/notes.md", "notes") == "notes"
    text = keyword_text("Total net sales rose.", "Results", ctx)
    assert text.splitlines() == [ctx, "Results", "Total net sales rose."]


def test_a_corpus_record_repeats_its_title_only_after_its_first_chunk():
    assert chunk_context("beir:4983", "Vitamin D and falls", 0) == ""
    assert chunk_context("beir:4983", "Vitamin D and falls", 1) == "Vitamin D and falls"
    assert chunk_context("beir:4983", "beir:4983", 1) == ""
