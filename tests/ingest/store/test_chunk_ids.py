"""Chunk ids are built and read back by one pair of functions."""

from ingest.store.chunk_ids import ChunkKey, chunk_id, parse_chunk_id


def test_an_id_reads_back_as_its_parts():
    assert parse_chunk_id(chunk_id(12, 3, 40)) == ChunkKey(doc_id=12, gen=3, index=40)


def test_ids_not_made_here_have_no_parts():
    for other in ["", "x", "d1g1", "d1g1c2x", "beir:4983"]:
        assert parse_chunk_id(other) is None, other
