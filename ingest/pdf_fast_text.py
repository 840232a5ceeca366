"""pypdf's per-glyph line-break and word-space step with the same arithmetic and less
overhead, for the text extractors :mod:`ingest.pdf_fast` switches on.

Real filings position every glyph on its own (``x y Td <gid> Tj``), so pypdf's
``TextExtraction._post_process_text_operation`` and the ``crlf_space_check`` it calls
run millions of times per ingest.  They multiply two full matrices through ``mult`` (a
new list each), pack and unpack thirteen arguments, and test ``(output + text)[-1:]``,
which copies the page's text so far on every call.  :func:`post_process_text_operation`
is those two functions in one: the matrix elements they use, computed with the very same
expressions in the same order (hence the same floats), the previous position's product
kept from the call before instead of recomputed, the last character read without the
copy, the same state written back, the same errors raised.

It is a copy of pypdf code, so it is used only when pypdf's functions are, to the byte,
the ones it was copied from (:func:`usable`); another pypdf version simply keeps
its own.
"""

from __future__ import annotations

import math

from pypdf import _text_extraction
from pypdf._text_extraction import _text_extractor
from pypdf._text_extraction._text_extractor import TextExtraction

from ingest import pypdf_fingerprint

# sha256 of the source of each pypdf function reproduced here (pypdf 7.1.0).
PYPDF_SOURCES_SHA256 = {
    "crlf_space_check": "73ecc228ee988c2257b3928df5acf9602cd2c37709b730424a760955be9c985d",
    "mult": "9a9a301348043b5548dbbd08b10955c89c223dd42a900d334bc70bbf13b4afab",
    "orient": "973734eab3460647264125b059377ddc87e4d44051b3a541e134a2cd1bc11e69",
    "TextExtraction._post_process_text_operation":
        "db793c6af6294f02370253663e613e19ec981992c52b3dcd513b9692e8fe34e1",
}


def pypdf_sources() -> dict:
    """The pypdf code :func:`post_process_text_operation` reproduces, as installed."""
    return {
        "crlf_space_check": _text_extraction.crlf_space_check,
        "mult": _text_extraction.mult,
        "orient": _text_extraction.orient,
        "TextExtraction._post_process_text_operation":
            TextExtraction._post_process_text_operation,
    }


def usable() -> bool:
    """Whether pypdf's extractor is exactly the code copied here (and still calls it)."""
    if _text_extractor.crlf_space_check is not _text_extraction.crlf_space_check:
        return False  # someone else replaced it
    return not pypdf_fingerprint.differences(PYPDF_SOURCES_SHA256, pypdf_sources)


def _mult(m, n) -> tuple:
    """pypdf's ``mult`` (the same products in the same order, so the same floats) as a
    tuple instead of a list."""
    return (m[0] * n[0] + m[1] * n[2],
            m[0] * n[1] + m[1] * n[3],
            m[2] * n[0] + m[3] * n[2],
            m[2] * n[1] + m[3] * n[3],
            m[4] * n[0] + m[5] * n[2] + n[4],
            m[4] * n[1] + m[5] * n[3] + n[5])


def post_process_text_operation(self, str_widths: float) -> None:
    """``TextExtraction._post_process_text_operation`` with ``crlf_space_check`` inlined
    (see the module's docstring)."""
    text = self.text
    text_was_empty = text == ""
    space_width = self.font_size * self._space_width
    if self._previous_font_space is not None:
        space_width = min(space_width, self._previous_font_space)
    spacewidth = self.compute_str_widths(space_width)
    str_height = self._actual_str_size["str_height"]
    output = self.output
    font_size = self.font_size
    line_span = self._line_span
    cm_matrix, tm_matrix = self.cm_matrix, self.tm_matrix

    # m_prev = mult(tm_prev, cm_prev): the product from the call before, when tm_prev and
    # cm_prev are still the copies that call made; else computed as mult does.
    tm_prev, cm_prev = self.tm_prev, self.cm_prev
    cached = self._prev_product
    if cached is not None and cached[0] is tm_prev and cached[1] is cm_prev:
        p0, p1, p2, p3, p4, p5 = cached[2]
    else:
        p0, p1, p2, p3, p4, p5 = _mult(tm_prev, cm_prev)
    c0, c1, c2, c3, c4, c5 = _mult(tm_matrix, cm_matrix)

    # orientation = orient(m)
    if c3 > 1e-6:
        orientation = 0
    elif c3 < -1e-6:
        orientation = 180
    elif c1 > 0:
        orientation = 90
    else:
        orientation = 270
    delta_x = c4 - p4
    delta_y = c5 - p5
    scale_prev_x = math.sqrt(p0**2 + p1**2)
    scale_prev_y = math.sqrt(p2**2 + p3**2)
    scale_y = math.sqrt(c2**2 + c3**2)

    if orientation not in self.orientations:
        return  # OrientationNotFoundError, which pypdf's caller ignores
    if orientation in (0, 180):
        moved_height = delta_y
        moved_width = delta_x
        axis_index = 5
        axis = c5
    else:
        moved_height = delta_x
        moved_width = delta_y
        axis_index = 4
        axis = c4
    if line_span is None or line_span[0] != axis_index:
        distance = abs(moved_height)
    else:
        lower, upper = line_span[1], line_span[2]
        distance = 0.0 if lower <= axis <= upper else min(abs(axis - lower), abs(axis - upper))
    last = text[-1:] if text else output[-1:]  # (output + text)[-1:] without the copy
    threshold = 0.8 * min(str_height * scale_prev_y, font_size * scale_y)
    if distance > threshold:
        if last not in ("", "\n"):
            output += text + "\n"
            if self.visitor_text is not None:
                self.visitor_text(text + "\n", self.memo_cm, self.memo_tm, self.font_resource,
                                  font_size)
            text = ""
        line_span = (axis_index, axis, axis)
    else:
        moved_to_other_baseline = abs(moved_height) > threshold
        if (
            (moved_to_other_baseline or moved_width >= (spacewidth + str_widths) * scale_prev_x)
            and last not in ("", " ")
        ):
            text += " "
        if last in ("", "\n") or line_span is None or line_span[0] != axis_index:
            line_span = (axis_index, axis, axis)
        else:
            line_span = (axis_index, min(line_span[1], axis), max(line_span[2], axis))
    cm_prev, tm_prev = cm_matrix.copy(), tm_matrix.copy()
    self.text, self.output, self.cm_prev, self.tm_prev, self._line_span = (
        text, output, cm_prev, tm_prev, line_span)
    # The next call's m_prev is this call's m, as long as nobody replaces the copies.
    self._prev_product = (tm_prev, cm_prev, (c0, c1, c2, c3, c4, c5))
    if text_was_empty or text == "":
        self.memo_cm = cm_matrix.copy()
        self.memo_tm = tm_matrix.copy()


class FastTextExtraction(TextExtraction):
    """pypdf's text extractor with :func:`post_process_text_operation`."""

    _prev_product: tuple | None = None

    def _post_process_text_operation(self, str_widths: float) -> None:
        try:
            post_process_text_operation(self, str_widths)
        except Exception:
            # pypdf drops a form XObject's text on an error: have the page read again.
            from ingest.pdf_fast import note_failure

            note_failure()
            raise
