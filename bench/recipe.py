"""The canonical LangChain recipe the benchmarks compare Wenji with: PyPDFLoader,
RecursiveCharacterTextSplitter(1000, 200), HuggingFaceEmbeddings on the bundled MiniLM
folder, Chroma.  It has no error handling: a file PyPDFLoader cannot read is lost, and
counted."""

from __future__ import annotations

from pathlib import Path


def recipe_store(docs: Path, persist: Path):
    """(Chroma store, chunk count, files lost with their errors) for the PDFs in ``docs``."""
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from models.bundled import embedder_dir

    pages, failed = [], []
    for pdf in sorted(docs.glob("*.pdf")):
        try:
            pages.extend(PyPDFLoader(str(pdf)).load())
        except Exception as exc:  # the recipe has no error handling: count what it loses
            failed.append(f"{pdf.name}: {type(exc).__name__}: {exc}"[:160])
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_documents(pages)
    emb = HuggingFaceEmbeddings(model_name=str(embedder_dir()))
    return Chroma.from_documents(chunks, emb, persist_directory=str(persist)), len(chunks), failed
