"""A faster reader of PDF content streams for pypdf's text extraction: same operations,
same text, a fraction of the CPU.

pypdf tokenizes a page's content stream one byte at a time in Python (``read_object``,
``read_non_whitespace``, ``read_hex_string_from_stream``...), which is more than half of
the time ``extract_text()`` takes on real filings.  :func:`parse_operations` builds the
very same ``[(operands, operator), ...]`` list, with the same pypdf object types, from one
compiled regular expression that matches a whole simple operation ("/F4 13.33 Tf",
"7.2 0 Td", "<0037> Tj") or else one token.  It handles only what it handles for sure
(numbers, names, literal and hex strings, arrays, dictionaries, booleans, null, comments
between operations); on anything else (inline images, indirect-reference look-alikes, malformed
tokens, limits pypdf would enforce, escapes pypdf warns about) it returns ``None`` and the
caller lets pypdf parse the whole stream itself, so results and errors stay pypdf's own.
It reproduces one pypdf version's code (:data:`PYPDF_SOURCES_SHA256`); under any other
it stays off.

:func:`fast_content_streams` switches it on for the calling thread only (a context
variable, like pypdf's own configuration): another thread reading PDFs at the same time,
or any code outside the ``with`` block, gets plain pypdf.  Worker processes install it
when they first use it.
"""

from __future__ import annotations

import binascii
import contextlib
import contextvars
import gc
import logging
import re
import threading
from dataclasses import dataclass
from typing import Any, Iterator

from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    ContentStream,
    DictionaryObject,
    FloatObject,
    NameObject,
    NullObject,
    NumberObject,
)
from pypdf.generic import _utils as generic_utils
from pypdf.generic._utils import create_string_object

from ingest import pypdf_fingerprint

try:  # pypdf 5+: configurable parsing limits
    from pypdf._configuration import get_configuration
except ImportError:  # pragma: no cover - older pypdf: fixed limits, stay conservative
    get_configuration = None


def pypdf_sources() -> dict[str, Any]:
    """The pypdf code whose behaviour :func:`parse_operations` reproduces, as installed."""
    from pypdf import _utils
    from pypdf.generic import _base, _data_structures

    return {
        "ContentStream._parse_content_stream":  # pypdf's, also once ours stands in for it
            _original_parse or ContentStream._parse_content_stream,
        "ContentStream.operations": ContentStream.operations,
        "ContentStream._OPERATOR_LENGTH_LIMIT": ContentStream._OPERATOR_LENGTH_LIMIT,
        "read_object": _data_structures.read_object,
        "IndirectPattern": _data_structures.IndirectPattern,
        "ArrayObject.read_from_stream": ArrayObject.read_from_stream,
        "DictionaryObject.read_from_stream": DictionaryObject.read_from_stream,
        "DictionaryObject._read_stream_data": DictionaryObject._read_stream_data,
        "NameObject.read_from_stream": NameObject.read_from_stream,
        "NameObject.delimiter_pattern": NameObject.delimiter_pattern,
        "NameObject._LENGTH_LIMIT": NameObject._LENGTH_LIMIT,
        "NumberObject.read_from_stream": NumberObject.read_from_stream,
        "NumberObject.NumberPattern": NumberObject.NumberPattern,
        "NumberObject._LENGTH_LIMIT": NumberObject._LENGTH_LIMIT,
        "NumberObject.__new__": NumberObject.__new__,
        "FloatObject.__new__": FloatObject.__new__,
        "BooleanObject.read_from_stream": BooleanObject.read_from_stream,
        "NullObject.read_from_stream": NullObject.read_from_stream,
        "read_string_from_stream": generic_utils.read_string_from_stream,
        "read_hex_string_from_stream": generic_utils.read_hex_string_from_stream,
        "create_string_object": generic_utils.create_string_object,
        "ESCAPE_DICT": getattr(generic_utils, "__ESCAPE_DICT__"),
        "WHITESPACES": _utils.WHITESPACES,
        "read_non_whitespace": _utils.read_non_whitespace,
        "read_until_regex": _utils.read_until_regex,
        "skip_over_comment": _utils.skip_over_comment,
        "skip_over_comments": _utils.skip_over_comments,
        "ByteStringObject": _base.ByteStringObject,
    }


# sha256 of each of those as checked against this reader (pypdf 7.1.0).
PYPDF_SOURCES_SHA256: dict[str, str] = {
    "ContentStream._parse_content_stream":
        "2ee1f7c5425eeae2661f6484be94dc50ed4f2c30da79b0cecdd78a3af551e9fa",
    "ContentStream.operations":
        "d5739fa4f5807c997f2a9e7dbbdbfbaa2b3fc56f19050d7c415ff87bb306e47b",
    "ContentStream._OPERATOR_LENGTH_LIMIT":
        "2747b7c718564ba5f066f0523b03e17f6a496b06851333d2d59ab6d863225848",
    "read_object":
        "9c2542b22d54f0f5f2864a3854ac0acebff4df84ac4485b6d8416336f18239ab",
    "IndirectPattern":
        "6b51c76eccad0c6f27a6fb02ee0f00746438cae31e64c638975ae2e3666d58a4",
    "ArrayObject.read_from_stream":
        "1b61a94602d1e63498258e0eea6b1b59f20425a5367401b0ee648e9ed623ca9f",
    "DictionaryObject.read_from_stream":
        "7fe15dc7275890d4eb6fb331649ee2f99edbf6027dd9c6b3bfa375100aa1cc22",
    "DictionaryObject._read_stream_data":
        "a6746b042b99e1e70c3eedde12eb614bbb2dfceeef2bb0c5516560e5bcfec5c1",
    "NameObject.read_from_stream":
        "ec64b8e2cce14987cb46bb2e8f3925d404f2b9f9ba039e129b553bdccdca4bae",
    "NameObject.delimiter_pattern":
        "c9070a8559e2feae33a06ebb416893f68bb1fcf3f909292de1b3ac96cdf99900",
    "NameObject._LENGTH_LIMIT":
        "8b926d75599a618e21f1341318e66517be26e18cc7496783d2b59758c1333be8",
    "NumberObject.read_from_stream":
        "5cc61cd846674b602a0e8a278e69a61bb08a25aeae9bf016cfbce8adae929259",
    "NumberObject.NumberPattern":
        "101872656a9a99eb0984f52de3c2f39603dc9417b163e63b3252c14b187bb1dc",
    "NumberObject._LENGTH_LIMIT":
        "a68b412c4282555f15546cf6e1fc42893b7e07f271557ceb021821098dd66c1b",
    "NumberObject.__new__":
        "6eac62c22d6df26838733de3631804e73affc55e519b1320f169db0192b15be4",
    "FloatObject.__new__":
        "8498acdc162087e11699ecedd89420211535356bd6e2f97e7470c217e7093490",
    "BooleanObject.read_from_stream":
        "12b70af8f321dfc22bd7c28a951f50e5445fb497ab2c9dcb0b7ba692b0288a28",
    "NullObject.read_from_stream":
        "217cee0e8d49c99d9e86e9860df3087883d910fa962259994f89bc84e735e7c8",
    "read_string_from_stream":
        "279c4dc1260e71f0b4e09c7068d05c35a8cfee5ec09907f3476e02976e48fee0",
    "read_hex_string_from_stream":
        "e452b41083087ebfb81268526d63563a546e824b869144bb4cf56a77f08136db",
    "create_string_object":
        "f2d0a2f323f4931f99cc7a19c1c9bbe90dc976c92899d47da3ac39ee1e6b7196",
    "ESCAPE_DICT":
        "6dddfc4aac24123b6803e4bf70d58a9a85048c997359b632c3d2cb86b3321727",
    "WHITESPACES":
        "5fdd609e12763e73810a5424d2c8af928b6f4b04ef959dc13b0b32e8eb0de02f",
    "read_non_whitespace":
        "625f5fffad4a480febd7abe001b09a7907a6cecb170c88c2fd704957d4f69f7e",
    "read_until_regex":
        "eb03c666ceac527429c06a7e30eabac34d51c721446e3be9ada74b1be61dce0f",
    "skip_over_comment":
        "92613ef70c113a124cb1a7081f6fbf3a6bc1857c20e7526c751cd0b9441382bb",
    "skip_over_comments":
        "71bf2d000682bfa48bb656a24fcc598ccefa7a5ad2455fd61abc68fd0fc5d42f",
    "ByteStringObject":
        "8763034bcb1a3e7997e49b5e493f56fbc134ca9688a993601657c6e5dea9ad91",
}


#: The pypdf release whose code :data:`PYPDF_SOURCES_SHA256` describes (the lock pins it).
WRITTEN_FOR = "7.1.0"

log = logging.getLogger(__name__)


def usable() -> bool:
    """Whether the installed pypdf parses exactly as the pypdf this reader reproduces."""
    return not pypdf_fingerprint.differences(PYPDF_SOURCES_SHA256, pypdf_sources)


def status() -> str:
    """One line for the log and ``wenji doctor``: on, or off and why."""
    from importlib.metadata import version

    from ingest import pdf_fast_text

    installed = version("pypdf")
    if usable() and pdf_fast_text.usable():
        return f"fast path on (pypdf {installed})"
    return (f"fast path OFF: pypdf {installed} is installed, the fast reader was written for "
            f"pypdf {WRITTEN_FOR} (same text, about 2x the CPU per page; install "
            f"requirements.lock to get it back)")


class _Unsure(Exception):
    """The stream holds something this reader does not reproduce exactly; pypdf must."""


# pypdf's whitespace between tokens (``read_non_whitespace``): NUL, TAB, LF, FF, CR, SP.
# Vertical tab is whitespace to pypdf's arrays but an error at the top level, so it is
# left out here and any stream holding one outside a string goes to pypdf.
_WS = b"\x00\t\n\x0c\r "
# A name or an operator runs until Python's bytes ``\s`` or a delimiter
# (``NameObject.delimiter_pattern``); NUL is part of it.  The look-ahead keeps the regex
# from backtracking into a shorter token ("/MCID" is never "/MCI" then "D").
_BODY = rb"[^\t\n\x0b\x0c\r ()<>\[\]{}/%]*(?![^\t\n\x0b\x0c\r ()<>\[\]{}/%])"

# A number as int() or float() reads it; malformed ones ("1.2.3", "-", "1,5") are left to
# pypdf, and so are those of 20 bytes or more, which pypdf's 20-byte look-ahead does not
# see whole (``_Objects.number``).  A run of numbers separated by ordinary whitespace (no
# NUL, so ``bytes.split()`` cuts it the same way) is one token.
_NUMBER = rb"[+\-]?(?:\d+(?:\.\d*)?|\.\d+)"
_NUMBERS = rb"(?:" + _NUMBER + rb"(?:[\t\n\x0c\r ]+" + _NUMBER + rb")*)(?![+,\-.0-9])"
_HEXSTRING = rb"<[0-9A-Fa-f\x00\t\n\x0c\r ]*>"
_NAME = rb"/" + _BODY
_WORD = rb"[A-Za-z'\"]" + _BODY
_SKIP = rb"[\x00\t\n\x0c\r ]*"


def _literal_pattern(depth: int) -> bytes:
    """A literal string with balanced parentheses nested up to ``depth`` levels, any
    escapes inside ("normal* (special normal*)*": linear, also when it does not match)."""
    special = rb"\\[\x00-\xff]"
    if depth > 0:
        special += rb"|" + _literal_pattern(depth - 1)
    return rb"\([^()\\]*(?:(?:" + special + rb")[^()\\]*)*\)"


_LITERAL = _literal_pattern(3)  # deeper nesting is rare: pypdf reads it
_TOKEN = re.compile(
    _SKIP + rb"(?:"
    # Most operations of real pages in one match: an optional name, an optional run of
    # numbers and an optional hex string, then the operator: "/F4 13.33 Tf",
    # "1 0 0 -1 8 12685 Tm", "<0037> Tj", "ET".  Groups: 1 all, 2 name, 3 numbers, 4 hex
    # string, 5 operator.
    rb"((?:(" + _NAME + rb")" + _SKIP + rb")?(?:(" + _NUMBERS + rb")" + _SKIP + rb")?"
    rb"(?:(" + _HEXSTRING + rb")" + _SKIP + rb")?(" + _WORD + rb"))"
    rb"|(" + _NUMBERS + rb")"       # 6
    rb"|(" + _HEXSTRING + rb")"     # 7
    rb"|(" + _NAME + rb")"          # 8
    rb"|(" + _LITERAL + rb")"       # 9
    # 10: << >> [ ] a comment, or a byte no token starts with
    rb"|(<<|>>|\[|\]|%[^\r\n]*|[^\x00\t\n\x0c\r ])"
    rb")"
)
# An escape in a literal string: octal digits, an escaped line break (pypdf eats one more
# CR or LF after it), or one byte.
_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|([\r\n])[\r\n]?|([\x00-\xff]))")

# ``read_string_from_stream``'s escapes: byte after the backslash -> byte it stands for.
_ESCAPES = {key[0]: value for key, value in
            getattr(generic_utils, "__ESCAPE_DICT__").items()}

# Lengths past which pypdf's chunked reads raise LimitReachedError or read differently
# (operators: 128 bytes; names: 4096; numbers: a 20-byte look-ahead).  Below these
# this reader is exact; at or above them pypdf decides.
_MAX_OPERATOR = 100
_MAX_NAME = 4000
_MAX_NUMBER = 20
_MAX_DEPTH = 100  # nested arrays/dictionaries: pypdf recurses, deep nesting is its call


def _limits() -> tuple[int, int, int]:
    """pypdf's parsing budget, array and dictionary caps for the current context."""
    if get_configuration is None:  # pragma: no cover
        return 2_000_000, 100_000, 100_000
    cfg = get_configuration()
    return (cfg.stream_parsing_work_maximum_count, cfg.array_maximum_element_count,
            cfg.dictionary_maximum_element_count)


def parse_operations(data: bytes, forced_encoding: Any = None) -> list[tuple[Any, bytes]] | None:
    """The operations pypdf's ``ContentStream._parse_content_stream`` would build from
    ``data``, or ``None`` when only pypdf itself can say (then it must parse it)."""
    try:
        with _gc_paused():
            return _parse(bytes(data), forced_encoding)
    except _Unsure:
        return None


_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cycle collector, paused while a stream is parsed (about a fifth of the
    parse otherwise): the parse allocates hundreds of thousands of lists and tuples, none
    in a cycle, and each collection they trigger walks everything alive again.  Counted,
    so threads parsing at once re-enable it only when the last one is done."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def _unescape(body: bytes) -> bytes:
    """The bytes ``read_string_from_stream`` makes of a literal string's inside."""
    if b"\\" not in body:
        return body
    return _ESCAPE.sub(_escaped, body)


def _escaped(m: re.Match) -> bytes:
    octal, _eol, other = m.groups()
    if octal is not None:
        value = int(octal, 8)
        # Over 255, pypdf keeps the backslash and reads the digits as plain characters.
        return bytes((value,)) if value <= 255 else b"\\" + octal
    if other is None:
        return b""  # an escaped line break
    mapped = _ESCAPES.get(other[0])
    if mapped is None:
        raise _Unsure  # pypdf warns about the unknown escape; let it
    return bytes((mapped,))


class _Objects:
    """pypdf objects for the tokens of one stream, each token converted once.

    Equal operands share one object: numbers, names and (for text extraction, which
    reads strings as raw bytes) strings are immutable subclasses of int, float, str and
    bytes that pypdf only reads.  Building a fresh ``FloatObject`` for every "0" costs
    more than the rest of the parse."""

    def __init__(self, forced_encoding: Any):
        self.forced_encoding = forced_encoding
        self.as_bytes = forced_encoding == "bytes"
        self.numbers: dict[bytes, Any] = {}
        self.runs: dict[bytes, tuple] = {}
        self.names: dict[bytes, NameObject] = {}
        self.strings: dict[bytes, Any] = {}

    def number(self, token: bytes):
        if len(token) >= _MAX_NUMBER:
            raise _Unsure
        value = self.numbers[token] = (float.__new__(FloatObject, token) if b"." in token
                                       else int.__new__(NumberObject, token))
        return value

    def run(self, tokens: bytes) -> tuple:
        """The numbers of a run like b"6.66 0" (the same runs recur: glyph advances)."""
        get = self.numbers.get
        values = self.runs[tokens] = tuple(v if (v := get(t)) is not None else self.number(t)
                                           for t in tokens.split())
        return values

    def name(self, token: bytes) -> NameObject:
        value = self.names.get(token)
        if value is None:
            value = self.names[token] = _name(token)
        return value

    def string(self, raw: bytes):
        if self.as_bytes:
            return ByteStringObject(raw)
        return create_string_object(raw, self.forced_encoding)

    def hex(self, token: bytes):
        value = self.strings.get(token) if self.as_bytes else None
        if value is None:
            digits = token[1:-1].translate(None, _WS)
            if len(digits) % 2:
                digits += b"0"
            value = self.string(binascii.unhexlify(digits))
            if self.as_bytes:
                self.strings[token] = value
        return value

    def word(self, word: bytes):
        """A bare word inside an array or dictionary: only these three are objects
        (pypdf reads no other word there, and "stream" after a dictionary differently)."""
        if word == b"true":
            return BooleanObject(True)
        if word == b"false":
            return BooleanObject(False)
        if word == b"null":
            return NullObject()
        raise _Unsure


def _check_operator(word: bytes) -> None:
    if (word == b"BI" or len(word) >= _MAX_OPERATOR or word.startswith(b"stream")
            or (word[0] == 0x52 and not word[1:2].isalpha())):
        # An inline image, an over-long operator, a stream after a dictionary, or an
        # ``R`` that pypdf's number reader may take for an indirect reference ("1 0 R").
        raise _Unsure


def _parse(data: bytes, forced_encoding: Any) -> list[tuple[Any, bytes]]:
    budget, max_array, max_dict = _limits()
    objects = _Objects(forced_encoding)
    runs_get, names_get, strings_get = objects.runs.get, objects.names.get, objects.strings.get
    ops: list[tuple[Any, bytes]] = []
    operands: list[Any] = []
    # Open containers, innermost last: [ArrayObject] or [dict, pending key or None].
    stack: list[list] = []
    operators: set[bytes] = set()  # operator words already checked
    container_work = 0  # pypdf's budget units for array elements and dictionary entries

    for _, name, run, hexstring, word, run2, hex2, name2, literal, other in _TOKEN.findall(data):
        if word:  # an operation (or, inside a container, values ending with a word)
            if stack:
                values = []
                if name:
                    values.append(objects.name(name))
                if run:
                    values += objects.run(run)
                if hexstring:
                    values.append(objects.hex(hexstring))
                values.append(objects.word(word))
                for value in values:
                    _add(stack, value)
                continue
            if name:
                operands.append(names_get(name) or objects.name(name))
            if run:
                operands += runs_get(run) or objects.run(run)
            if hexstring:
                value = strings_get(hexstring)
                operands.append(value if value is not None else objects.hex(hexstring))
            if word not in operators:
                _check_operator(word)
                operators.add(word)
            ops.append((operands, word))
            operands = []
            continue
        if run2:
            values = runs_get(run2) or objects.run(run2)
            if not stack:
                operands += values
            else:
                for value in values:
                    _add(stack, value)
            continue
        if hex2:
            value = objects.hex(hex2)
        elif name2:
            value = objects.name(name2)
        elif literal:
            value = objects.string(_unescape(literal[1:-1]))
        elif other == b"<<":
            if len(stack) >= _MAX_DEPTH:
                raise _Unsure
            stack.append([{}, None])
            continue
        elif other == b"[":
            if len(stack) >= _MAX_DEPTH:
                raise _Unsure
            stack.append([ArrayObject()])
            continue
        elif other == b">>":
            if not stack or len(stack[-1]) != 2 or stack[-1][1] is not None:
                raise _Unsure
            entries = stack.pop()[0]
            if len(entries) >= max_dict:
                raise _Unsure
            container_work += 2 * len(entries)
            value = DictionaryObject()
            value.update(entries)
        elif other == b"]":
            if not stack or len(stack[-1]) != 1:
                raise _Unsure
            value = stack.pop()[0]
            if len(value) >= max_array:
                raise _Unsure
            container_work += len(value)
        elif other[:1] == b"%" and not stack:
            continue
        else:  # a byte no token starts with, or a comment inside a container
            raise _Unsure
        if stack:
            _add(stack, value)
        else:
            operands.append(value)

    if stack:
        raise _Unsure  # unterminated array or dictionary
    # Every token takes at least one byte, so only a stream as long as the budget can
    # exceed it: count pypdf's units then (operands and operators at the top level, array
    # elements, two per dictionary entry).
    if len(data) >= budget:
        work = container_work + len(operands) + sum(len(o) + 1 for o, _ in ops)
        if work >= budget:
            raise _Unsure  # pypdf raises LimitReachedError
    return ops


def _add(stack: list[list], value: Any) -> None:
    """Put a value into the innermost open array or dictionary."""
    top = stack[-1]
    if len(top) == 1:  # array element
        top[0].append(value)
    elif top[1] is None:  # dictionary key
        if type(value) is not NameObject:
            raise _Unsure  # pypdf warns and skips it, or stops at null
        top[1] = value
    else:  # dictionary value
        key = top[1]
        if key in top[0]:
            raise _Unsure  # pypdf warns about the duplicate
        top[0][key] = value
        top[1] = None


def _name(raw: bytes) -> NameObject:
    """``NameObject.read_from_stream``'s decoding: ``#xx`` escapes, then the first of
    pypdf's charsets that fits."""
    if len(raw) >= _MAX_NAME:
        raise _Unsure
    plain = NameObject.unnumber(raw)
    for charset in NameObject.CHARSETS:
        try:
            return NameObject(plain.decode(charset))
        except Exception:
            continue
    raise _Unsure


# --- switching it on for our reads -------------------------------------------------

class FastSession:
    """One ``with fast_content_streams()`` block.  ``failed`` says that fast code raised
    in it: pypdf swallows some errors (a form XObject's text is skipped with a warning),
    so the caller must read the page again with plain pypdf rather than trust the text."""

    failed = False


_SESSION: contextvars.ContextVar[FastSession | None] = contextvars.ContextVar(
    "fast_content_streams", default=None)
_PLAIN: contextvars.ContextVar[bool] = contextvars.ContextVar("plain_pypdf", default=False)
_install_lock = threading.Lock()
_original_parse = None


@dataclass
class Counts:
    """Content streams this process parsed where the fast reader was switched on."""

    fast: int = 0  # by the fast reader
    handed_to_pypdf: int = 0  # by pypdf's parser: not sure of them, or it failed


counts = Counts()


def _parse_content_stream(self, stream) -> None:
    """Stands in for ``ContentStream._parse_content_stream``: the fast reader where it was
    asked for and sure of itself, pypdf's own parser everywhere else."""
    if _active() and not self._operations:
        try:
            ops = parse_operations(stream.getvalue(), self.forced_encoding)
        except Exception:  # a bug here must cost speed, never text
            ops = None
        if ops is not None:
            self._operations.extend(ops)
            counts.fast += 1
            return
        counts.handed_to_pypdf += 1
    _original_parse(self, stream)


def _active() -> bool:
    return _SESSION.get() is not None and not _PLAIN.get()


def note_failure() -> None:
    """Fast code raised (the error itself goes on to pypdf): mark the current block."""
    session = _SESSION.get()
    if session is not None:
        session.failed = True


def _install() -> None:
    """Put the dispatchers in place once per process (idempotent, thread-safe)."""
    global _original_parse
    with _install_lock:
        if _original_parse is not None:
            return
        _original_parse = ContentStream._parse_content_stream
        if usable():
            ContentStream._parse_content_stream = _parse_content_stream
        else:
            log.warning("PDF text: %s", status())
        _install_text()


def _install_text() -> None:
    """pypdf's text extractor with the faster per-glyph step, where pypdf's code is the
    code that step was copied from (see :mod:`ingest.pdf_fast_text`)."""
    from pypdf import _page

    from ingest import pdf_fast_text

    original = _page.TextExtraction
    if original is not pdf_fast_text.TextExtraction or not pdf_fast_text.usable():
        return
    fast = pdf_fast_text.FastTextExtraction

    def TextExtraction():  # noqa: N802 - stands in for the class pypdf instantiates
        return fast() if _active() else original()

    _page.TextExtraction = TextExtraction


@contextlib.contextmanager
def fast_content_streams() -> Iterator[FastSession]:
    """Within the block, content streams parsed in this thread (this context) use the
    fast reader and text extractor; everywhere else pypdf runs as usual."""
    _install()
    session = FastSession()
    token = _SESSION.set(session)
    try:
        yield session
    finally:
        _SESSION.reset(token)


@contextlib.contextmanager
def plain_pypdf() -> Iterator[None]:
    """Within the block, pypdf parses and extracts everything itself, even inside
    :func:`fast_content_streams`: to read a page again after a failure, or to compare."""
    _install()
    token = _PLAIN.set(True)
    try:
        yield
    finally:
        _PLAIN.reset(token)
