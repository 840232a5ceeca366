"""``wenji search`` and ``wenji eval`` end to end (real embedder, real Chroma)."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from retrieval_data import SCIFACT, _jsonl, _qrels


@pytest.fixture(scope="module")
def tiny_beir(tmp_path_factory):
    """A BEIR folder of 4 SciFact claims, their abstracts and 16 other abstracts."""
    root = tmp_path_factory.mktemp("tiny-beir")
    qrels = _qrels(SCIFACT / "qrels" / "train.tsv")
    queries = {q["_id"]: q for q in _jsonl(SCIFACT / "queries.jsonl")}
    chosen = [q for q in sorted(qrels, key=int) if q in queries and len(qrels[q]) == 1][:4]
    wanted = set().union(*(qrels[q] for q in chosen))
    docs, fillers = [], 0
    for rec in _jsonl(SCIFACT / "corpus.jsonl"):
        if rec["_id"] in wanted or fillers < 16:
            fillers += rec["_id"] not in wanted
            docs.append(rec)
    (root / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    # One query without judgments: it must not be evaluated.
    qs = [queries[q] for q in chosen] + [{"_id": "999999", "text": "unjudged"}]
    (root / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in qs))
    (root / "qrels").mkdir()
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q in chosen for d in qrels[q]))
    return root


@pytest.mark.slow
def test_eval_json_on_a_tiny_beir_folder(tiny_beir, tmp_path, capsys):
    home = tmp_path / "home"
    assert main(["--home", str(home), "eval", "--beir", str(tiny_beir), "--split", "test",
                 "--json"]) == 0
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert set(result) == {"ndcg@10", "recall@10", "recall@100", "mrr@10", "p50_ms", "p95_ms",
                           "queries"}
    assert result["queries"] == 4
    assert result["recall@100"] == 1.0  # 20 documents: everything is in the top 100
    assert result["ndcg@10"] >= 0.7 and result["mrr@10"] >= 0.7
    assert 0 < result["p50_ms"] <= result["p95_ms"]
    assert "built" in out.err

    # Second run: the cached knowledge base is reused, other settings apply.
    assert main(["--home", str(home), "eval", "--beir", str(tiny_beir), "--split", "test",
                 "--json", "--fusion", "keyword", "--limit-queries", "2"]) == 0
    out = capsys.readouterr()
    assert "using cached" in out.err
    assert json.loads(out.out)["queries"] == 2

    # Another backend makes other vectors: its own build, not the cached one.
    (home / "settings.toml").write_text('[models]\nembedder_backend = "torch"\n')
    assert main(["--home", str(home), "eval", "--beir", str(tiny_beir), "--split", "test",
                 "--json", "--limit-queries", "1"]) == 0
    out = capsys.readouterr()
    assert "built" in out.err and "using cached" not in out.err
    assert len(list((home / "eval").iterdir())) == 2


def test_eval_unknown_split_is_a_user_error(tiny_beir, tmp_path, capsys):
    assert main(["--home", str(tmp_path), "eval", "--beir", str(tiny_beir), "--split", "dev"]) == 2
    assert "no split 'dev'" in capsys.readouterr().err


def test_eval_not_a_beir_folder(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "eval", "--beir", str(tmp_path), "--split", "x"]) == 2
    assert "not a BEIR folder" in capsys.readouterr().err


@pytest.mark.slow
def test_search_command_prints_ranked_explained_hits(tmp_path, capsys, embedder):
    from ingest.store.library import Library
    from ingest.pipeline import Ingestor

    home = tmp_path / "home"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "olympics.md").write_text(
        "# 冬奥会\n\n## 开幕\n\n北京冬奥会于2022年2月4日晚在国家体育场开幕。\n\n"
        "## Closing\n\nThe Beijing Winter Olympics closed on 20 February 2022.\n", encoding="utf-8")
    (docs / "weather.md").write_text("# 天气\n\n上海今天多云，气温十五度。\n", encoding="utf-8")
    lib = Library(home / "store")
    Ingestor(lib, embedder).run([docs], "default")
    lib.close()

    assert main(["--home", str(home), "search", "北京冬奥会什么时候开幕", "-k", "2"]) == 0
    out = capsys.readouterr().out
    first = out.split("\n\n")[0]
    assert first.startswith("1. ") and "olympics" in first and "开幕" in first
    assert "keyword #1" in first and "matched:" in first

    assert main(["--home", str(home), "search", "closing ceremony", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hits"][0]["source"].endswith("olympics.md")
    assert "Closing" in (data["hits"][0]["heading"] or "")

    assert main(["--home", str(home), "search", "anything", "--kb", "missing"]) == 2
    assert "no knowledge base named 'missing'" in capsys.readouterr().err
