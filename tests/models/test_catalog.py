"""The shipped model catalog: it loads, covers what Wenji promises, rejects broken
entries by name, and gives fit and speed advice that holds at its boundaries."""

from __future__ import annotations

import dataclasses
import math

import pytest
import tomli_w

from models.catalog import (CATALOG_PATH, GIB, CatalogEntry, CatalogError, Fit, MachineInfo,
                            find, fit, load_catalog, memory_needed, speed_class)


@pytest.fixture(scope="module")
def shipped() -> list[CatalogEntry]:
    return load_catalog()


def entry(**changes) -> CatalogEntry:
    """A hand-made entry (a 4B Q4_K_M model of 2.5 GB) with ``changes`` applied."""
    base = CatalogEntry(name="test-4b", display="Test 4B", repo="someone/Test-4B-GGUF",
                        file="Test-4B-Q4_K_M.gguf", revision="main", params_b=4.0,
                        quant="Q4_K_M", size_bytes=2_500_000_000, context=32768,
                        languages=("zh", "en"), licence="Apache-2.0", reasoning=False,
                        gated=False, notes="for tests")
    return dataclasses.replace(base, **changes)


def machine(total_gib: float, available_gib: float | None = None, **kw) -> MachineInfo:
    total = int(total_gib * GIB)
    available = total if available_gib is None else int(available_gib * GIB)
    return MachineInfo(total_ram_bytes=total, available_ram_bytes=available, **kw)


# --- the shipped catalog ------------------------------------------------------------


def test_shipped_catalog_loads_from_beside_the_module(shipped):
    assert CATALOG_PATH.name == "catalog.toml"
    assert CATALOG_PATH.parent.name == "models"
    assert shipped == load_catalog(CATALOG_PATH)
    assert all(isinstance(e, CatalogEntry) for e in shipped)


def test_shipped_catalog_covers_half_a_billion_to_fourteen(shipped):
    assert len(shipped) >= 10
    sizes = [e.params_b for e in shipped]
    assert min(sizes) <= 0.5
    assert max(sizes) >= 14
    # something for every machine: small, middle and large
    assert any(1 < p <= 4 for p in sizes) and any(4 < p <= 9 for p in sizes)


def test_shipped_catalog_serves_chinese_documents(shipped):
    chinese = [e for e in shipped if e.chinese]
    assert len(chinese) >= 8
    # Chinese-capable models at every size class, down to the smallest
    assert min(e.params_b for e in chinese) <= 0.5
    assert max(e.params_b for e in chinese) >= 14
    assert all("en" in e.languages for e in shipped), "every model answers in English"


def test_shipped_catalog_marks_the_thinking_models(shipped):
    reasoning = [e for e in shipped if e.reasoning]
    assert reasoning, "at least one reasoning model"
    for e in shipped:
        if e.name.startswith(("qwen3-", "deepseek-r1")):
            assert e.reasoning, f"{e.name} writes <think> and must say so"
        if e.name.startswith(("qwen2.5-", "gemma-", "llama-")):
            assert not e.reasoning, e.name


def test_shipped_files_are_single_ggufs(shipped):
    for e in shipped:
        assert e.file.endswith(".gguf"), e.file
        assert "-of-0" not in e.file, f"{e.name}: {e.file} is part of a split model"
        assert "/" not in e.file, e.file
        assert e.repo.count("/") == 1, e.repo
        assert e.revision == "main"


def test_shipped_entries_are_complete_and_plausible(shipped):
    names = [e.name for e in shipped]
    assert len(set(n.lower() for n in names)) == len(names)
    for e in shipped:
        assert e.name == e.name.lower() and " " not in e.name, e.name
        assert e.quant.lower() in e.name, f"{e.name} should name its quant {e.quant}"
        assert e.quant in e.file or e.quant.lower() in e.file, (e.quant, e.file)
        assert e.display and e.licence and e.notes and "\n" not in e.notes
        assert e.context >= 32768
        # Q4_K_M is about 0.55-0.7 bytes a parameter with embeddings; Q8_0 about 1.07
        bytes_per_param = e.size_bytes / (e.params_b * 1e9)
        assert 0.45 < bytes_per_param < 1.2, (e.name, bytes_per_param)


def test_shipped_catalog_needs_no_hub_account(shipped):
    assert not [e.name for e in shipped if e.gated]


# --- broken catalogs ----------------------------------------------------------------

GOOD = {
    "name": "good-1b", "display": "Good 1B", "repo": "someone/Good-1B-GGUF",
    "file": "Good-1B-Q4_K_M.gguf", "revision": "main", "params_b": 1.0, "quant": "Q4_K_M",
    "size_bytes": 800_000_000, "context": 32768, "languages": ["zh", "en"],
    "licence": "MIT", "reasoning": False, "gated": False, "notes": "ok",
}


def write(tmp_path, *models: dict) -> object:
    path = tmp_path / "catalog.toml"
    path.write_text(tomli_w.dumps({"model": list(models)}), encoding="utf-8")
    return path


def broken(**changes) -> dict:
    """The second entry, named 'broken-2b', with ``changes`` (None removes a field)."""
    model = {**GOOD, "name": "broken-2b", **changes}
    return {k: v for k, v in model.items() if v is not None}


def test_a_good_written_catalog_loads(tmp_path):
    entries = load_catalog(write(tmp_path, GOOD, broken()))
    assert [e.name for e in entries] == ["good-1b", "broken-2b"]
    assert entries[0].languages == ("zh", "en")


def test_optional_fields_take_their_defaults(tmp_path):
    (e,) = load_catalog(write(tmp_path, broken(revision=None, gated=None, notes=None)))
    assert (e.revision, e.gated, e.notes) == ("main", False, "")


@pytest.mark.parametrize("field", ["name", "display", "repo", "file", "params_b", "quant",
                                   "size_bytes", "context", "languages", "licence",
                                   "reasoning"])
def test_missing_field_names_entry_and_field(tmp_path, field):
    model = broken(**{field: None})
    with pytest.raises(CatalogError) as err:
        load_catalog(write(tmp_path, GOOD, model))
    message = str(err.value)
    assert f"'{field}'" in message and "missing" in message
    assert "#2" in message
    if field != "name":
        assert "broken-2b" in message


def test_duplicate_name_names_both_entries(tmp_path):
    with pytest.raises(CatalogError) as err:
        load_catalog(write(tmp_path, GOOD, broken(), broken(display="Another")))
    message = str(err.value)
    assert "'broken-2b'" in message and "#3" in message and "#2" in message
    assert "unique" in message


@pytest.mark.parametrize("file, problem", [
    ("Broken-2B-Q4_K_M.bin", ".gguf"),
    ("Broken-2B-Q4_K_M", ".gguf"),
    ("Broken-2B-Q4_K_M-00001-of-00002.gguf", "split"),
])
def test_bad_file_names_entry(tmp_path, file, problem):
    with pytest.raises(CatalogError) as err:
        load_catalog(write(tmp_path, GOOD, broken(file=file)))
    message = str(err.value)
    assert "broken-2b" in message and "'file'" in message and problem in message


@pytest.mark.parametrize("field, value", [
    ("size_bytes", 0), ("size_bytes", -5), ("params_b", 0.0), ("context", 0),
    ("params_b", math.inf),
])
def test_sizes_must_be_positive(tmp_path, field, value):
    with pytest.raises(CatalogError) as err:
        load_catalog(write(tmp_path, broken(**{field: value})))
    assert "broken-2b" in str(err.value) and f"'{field}'" in str(err.value)


@pytest.mark.parametrize("changes, field", [
    ({"size_bytes": "4.7 GB"}, "size_bytes"),
    ({"reasoning": "yes"}, "reasoning"),
    ({"context": True}, "context"),
    ({"languages": []}, "languages"),
    ({"languages": "zh"}, "languages"),
    ({"repo": "Broken-2B-GGUF"}, "repo"),
    ({"display": "  "}, "display"),
    ({"licence": None, "license": "MIT"}, "license"),  # a misspelt field is not ignored
])
def test_wrong_values_name_entry_and_field(tmp_path, changes, field):
    with pytest.raises(CatalogError) as err:
        load_catalog(write(tmp_path, GOOD, broken(**changes)))
    assert "broken-2b" in str(err.value) and f"'{field}'" in str(err.value)


def test_bad_name_is_refused(tmp_path):
    with pytest.raises(CatalogError, match="'name'"):
        load_catalog(write(tmp_path, broken(name="Has Spaces")))


def test_unreadable_or_empty_catalogs_say_which_file(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(CatalogError, match="nowhere.toml"):
        load_catalog(missing)
    bad = tmp_path / "bad.toml"
    bad.write_text("[[model]]\nname = \n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog(bad)
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"no \[\[model\]\]"):
        load_catalog(empty)


def test_catalog_error_is_a_value_error():
    assert issubclass(CatalogError, ValueError)


# --- find ---------------------------------------------------------------------------


def test_find_ignores_case(shipped):
    e = find("QWEN3-4B-Q4_K_M", shipped)
    assert e.name == "qwen3-4b-q4_k_m" and e.reasoning
    assert find("  qwen2.5-7b-instruct-q4_k_m ", shipped).params_b > 7


def test_find_unknown_name_suggests_close_names(shipped):
    with pytest.raises(CatalogError) as err:
        find("qwen3-8b", shipped)
    message = str(err.value)
    assert "'qwen3-8b'" in message and "did you mean" in message
    assert "qwen3-8b-q4_k_m" in message
    with pytest.raises(CatalogError, match="qwen2.5-7b-instruct-q4_k_m"):
        find("qwen2.5-7b-instrukt-q4_k_m", shipped)


def test_find_with_nothing_close_lists_the_catalog(shipped):
    with pytest.raises(CatalogError) as err:
        find("zzzzzz", shipped)
    assert "the catalog has" in str(err.value)
    assert shipped[0].name in str(err.value)


# --- memory and fit -----------------------------------------------------------------


def test_memory_needed_is_file_plus_a_modest_margin(shipped):
    for e in shipped:
        extra = memory_needed(e) - e.size_bytes
        # KV cache + compute at 4k context: 0.2-1.0 GB, plus about 0.3 GB overhead
        assert 0.5 * GIB <= extra <= 1.5 * GIB, (e.name, extra / GIB)
    small, large = find("qwen2.5-0.5b-instruct-q4_k_m", shipped), find("qwen3-14b-q4_k_m",
                                                                       shipped)
    assert memory_needed(large) - large.size_bytes > memory_needed(small) - small.size_bytes


def test_memory_needed_grows_with_context_up_to_the_trained_length():
    e = entry(context=32768)
    assert memory_needed(e, 2048) < memory_needed(e, 4096) < memory_needed(e, 16384)
    assert memory_needed(e, 32768) == memory_needed(e, 131072)
    with pytest.raises(ValueError):
        memory_needed(e, 0)


def test_fit_on_an_8_gb_machine(shipped):
    m = machine(8)
    assert fit(find("qwen2.5-14b-instruct-q4_k_m", shipped), m).level == "too_big"
    assert fit(find("qwen3-14b-q4_k_m", shipped), m).level == "too_big"
    assert fit(find("qwen2.5-0.5b-instruct-q4_k_m", shipped), m).level == "fits"
    assert fit(find("qwen2.5-1.5b-instruct-q4_k_m", shipped), m).level == "fits"
    assert fit(find("qwen2.5-7b-instruct-q4_k_m", shipped), m).level == "tight"


def test_everything_fits_a_32_gb_machine(shipped):
    assert {fit(e, machine(32)).level for e in shipped} == {"fits"}


def test_fit_levels_at_their_boundaries():
    e = entry()
    needed = memory_needed(e)

    def level(total: int) -> str:
        return fit(e, MachineInfo(total_ram_bytes=total, available_ram_bytes=total)).level

    at_60 = math.ceil(needed / 0.60)  # needed is just at or under 60%
    assert needed / at_60 <= 0.60
    assert level(at_60) == "fits"
    assert level(at_60 - 2) == "tight"  # just over 60%
    at_85 = math.ceil(needed / 0.85)
    assert level(at_85) == "tight"
    assert level(at_85 - 2) == "too_big"
    assert level(needed) == "too_big"


def test_fit_reason_reads_like_a_person_wrote_it():
    result = fit(entry(), machine(24))
    assert isinstance(result, Fit)
    assert result.reason == f"needs about {memory_needed(entry()) / GIB:.1f} GB of 24 GB RAM"
    assert result.needed_bytes == memory_needed(entry())
    assert "of 8 GB RAM" in fit(entry(), machine(8)).reason
    short = fit(entry(), machine(24, available_gib=1.5))
    assert short.level == "fits" and "only 1.5 GB free now" in short.reason


def test_gpu_flag_needs_offload_and_known_vram():
    e = entry()
    needed = memory_needed(e)
    on_gpu = fit(e, machine(16, gpu_offload=True, vram_bytes=8 * GIB))
    assert on_gpu.gpu and "8 GB of GPU memory" in on_gpu.reason
    assert not fit(e, machine(16, gpu_offload=True, vram_bytes=needed - 1)).gpu
    assert not fit(e, machine(16, gpu_offload=True, vram_bytes=None)).gpu
    assert not fit(e, machine(16, gpu_offload=False, vram_bytes=8 * GIB)).gpu


def test_unknown_ram_is_tight_not_a_crash():
    result = fit(entry(), MachineInfo(total_ram_bytes=0, available_ram_bytes=0))
    assert result.level == "tight" and "unknown" in result.reason


def test_detect_describes_this_machine():
    m = MachineInfo.detect()
    assert m.total_ram_bytes > 512 * 2**20
    assert 0 < m.available_ram_bytes <= m.total_ram_bytes
    assert m.cores >= 1
    assert isinstance(m.gpu_offload, bool)
    assert m.vram_bytes is None


# --- speed --------------------------------------------------------------------------


@pytest.mark.parametrize("params_b, cpu, gpu", [
    (0.5, "fast", "fast"),
    (1.0, "fast", "fast"),
    (1.5, "moderate", "fast"),
    (4.0, "moderate", "fast"),
    (4.1, "slow", "moderate"),
    (9.0, "slow", "moderate"),
    (9.1, "very slow", "slow"),
    (14.8, "very slow", "slow"),
])
def test_speed_classes(params_b, cpu, gpu):
    e = entry(params_b=params_b)
    assert speed_class(e) == cpu
    assert speed_class(e, gpu=True) == gpu


def test_shipped_speed_classes(shipped):
    assert speed_class(find("qwen3-0.6b-q8_0", shipped)) == "fast"
    assert speed_class(find("qwen3-4b-q4_k_m", shipped)) == "moderate"
    assert speed_class(find("llama-3.1-8b-instruct-q4_k_m", shipped)) == "slow"
    assert speed_class(find("qwen2.5-14b-instruct-q4_k_m", shipped)) == "very slow"
