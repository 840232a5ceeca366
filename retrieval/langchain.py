"""The retriever as a LangChain ``BaseRetriever`` (``Retriever.as_langchain()``)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class WenjiRetriever(BaseRetriever):
    """Documents carry the hit's text as ``page_content`` and its explanation (source,
    page, heading, span, keyword/embedding ranks, fused score, matched keywords) as
    metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any
    kb_name: str | None = None
    k: int = 6
    documents: list | None = None

    def _get_relevant_documents(self, query: str, *,
                                run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        hits = self.retriever.search(query, kb_name=self.kb_name, k=self.k,
                                     documents=self.documents)
        return [Document(page_content=h.text, metadata=h.metadata()) for h in hits]
