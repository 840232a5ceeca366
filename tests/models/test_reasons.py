"""A reason is its English sentence with a code and parameters, through pickling and
JSON; model errors carry theirs."""

import pickle

import pytest

from models.reasons import JOINED, Reason, joined, reason_of, restore


def test_a_reason_is_its_english_and_keeps_code_and_params():
    r = Reason("too_large", "file is {size_mb} MB, over the {limit_mb} MB limit", size_mb=312,
               limit_mb=200)
    assert r == "file is 312 MB, over the 200 MB limit"
    assert (r.code, r.params) == ("too_large", {"size_mb": 312, "limit_mb": 200})
    assert type(str(r)) is str and f"{r}" == r.english()
    again = pickle.loads(pickle.dumps(r))
    assert (again, again.code, again.params) == (r, r.code, r.params)


def test_reasons_inside_reasons_and_joined_lines_survive_json():
    inner = Reason("ocr_cannot_render", "PDFium could not open the file")
    outer = Reason("scanned_no_ocr", "no text layer (scanned?), and {why}", why=inner)
    line = joined([Reason("pages_read_by_ocr", "{done} of {pages} pages read by OCR", done=2,
                          pages=9), outer])
    assert line == ("2 of 9 pages read by OCR; no text layer (scanned?), and PDFium could not "
                    "open the file")
    back = restore(str(line), line.to_json())
    assert back.code == JOINED and [p.code for p in back.parts] == ["pages_read_by_ocr",
                                                                    "scanned_no_ocr"]
    assert back.parts[1].params["why"].code == "ocr_cannot_render"
    assert joined([]) is None and joined([outer]) is outer


def test_a_plain_sentence_stays_itself():
    assert restore("an old reason", None) == "an old reason"
    assert not isinstance(restore("an old reason", "not json"), Reason)
    assert reason_of(ValueError("plain")) == "plain"


def test_model_errors_carry_reasons(tmp_path):
    from models.gguf_header import GGUFError, read_header
    from models.model_validation import ModelLoadError, validate_model

    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"not a model" * 100)
    with pytest.raises(GGUFError) as info:
        read_header(fake)
    assert info.value.reason.code == "not_gguf"
    assert str(info.value) == f"{fake}: not a GGUF file (it does not start with 'GGUF')"
    with pytest.raises(ModelLoadError) as info:
        validate_model(tmp_path / "gone.gguf")
    assert info.value.reason.code == "model_not_found"
    assert info.value.reason.params == {"path": str(tmp_path / "gone.gguf")}
