"""The two stores of a knowledge base and the rules that keep them in step: the SQLite
catalog (documents, chunk texts, keyword index), Chroma (the vectors), the chunk ids both
share, and the one writer that changes a document in both."""
