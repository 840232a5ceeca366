"""Answering from retrieved passages: the grounding gate, prompts, stream guards,
citations and the saved conversations.  Imports retrieval, ingest and models; never Qt."""
