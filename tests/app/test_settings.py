import pytest

from app.settings import Settings, SettingsError


def test_missing_file_gives_defaults(tmp_path):
    s = Settings.load(tmp_path / "settings.toml")
    assert s.ingest.max_file_mb == 200
    assert s.retrieval.top_k > 0


def test_round_trip(tmp_path):
    path = tmp_path / "settings.toml"
    s = Settings()
    s.ingest.chunk_tokens = 128
    s.ui.language = "zh"
    s.models.extra_model_dirs = ["/models"]
    s.save(path)
    again = Settings.load(path)
    assert again.ingest.chunk_tokens == 128
    assert again.ui.language == "zh"
    assert again.models.extra_model_dirs == ["/models"]


@pytest.mark.parametrize("text, words", [
    ('[ingest]\nchunk_tokens = "big"\n', ["[ingest]", "chunk_tokens", "whole number"]),
    ("[ingest]\nmax_file_mb = -1\n", ["[ingest]", "max_file_mb", "greater than 0"]),
    ("[ui]\nlanguage = 'fr'\n", ["[ui]", "language", "auto, en or zh"]),
    ("[ui]\ntheme = 'blue'\n", ["[ui]", "theme", "system, light or dark"]),
    ("[ingest]\nchunk_size = 3\n", ["[ingest]", "chunk_size", "unknown key"]),
    ("[nonsense]\na = 1\n", ["nonsense", "unknown section"]),
    ("[ingest\n", ["not valid TOML"]),
    ("[retrieval]\nfusion = 'magic'\n", ["fusion", "adaptive"]),
    ("[models]\nembedder_backend = 'cuda'\n", ["embedder_backend", "onnx-fp32, onnx or torch"]),
])
def test_bad_values_name_file_key_and_problem(tmp_path, text, words):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(SettingsError) as info:
        Settings.load(path)
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message


def test_interface_follows_the_system_by_default(tmp_path):
    s = Settings()
    assert (s.ui.language, s.ui.theme) == ("auto", "system")
    path = tmp_path / "settings.toml"
    path.write_text("[ui]\nlanguage = 'en'\ntheme = 'dark'\n")
    loaded = Settings.load(path)
    assert (loaded.ui.language, loaded.ui.theme) == ("en", "dark")


def test_settings_accept_exactly_the_embedder_backends():
    from app.settings import EMBEDDER_BACKENDS
    from models.embedder import BACKENDS

    assert EMBEDDER_BACKENDS == BACKENDS


def test_int_accepted_for_float(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[ingest]\nmax_file_mb = 5\n")
    assert Settings.load(path).ingest.max_file_mb == 5.0


def test_retired_use_keywords_loads_and_is_logged(tmp_path, caplog):
    path = tmp_path / "settings.toml"
    path.write_text("[retrieval]\nuse_keywords = true\ntop_k = 4\n")
    with caplog.at_level("WARNING", logger="app.settings"):
        s = Settings.load(path)
    assert s.retrieval.top_k == 4
    assert "use_keywords is no longer used" in caplog.text


def test_only_the_user_facing_retrieval_keys_are_settings(tmp_path):
    """The section is retrieval's own options object; its tuned knobs (depth, BM25 k1,
    ...) are neither read from nor written to the file."""
    path = tmp_path / "settings.toml"
    s = Settings()
    s.retrieval.fusion = "rrf"
    s.save(path)
    assert Settings.load(path).retrieval.fusion == "rrf"
    assert set(s.to_dict()["retrieval"]) == {"top_k", "fusion", "rrf_k", "mmr",
                                                     "reranker", "min_relevance"}
    path.write_text("[retrieval]\ndepth = 50\n")
    with pytest.raises(SettingsError, match="unknown key 'depth'"):
        Settings.load(path)
