"""The core's reasons (``models.reasons.Reason``: a code with parameters) in the
interface's language.

The core words every reason in English for the command line; the window looks the code
up here, translates its template (context ``reasons``) and fills the named placeholders
from the parameters, numbers in the interface's locale.  Where there is nothing to
translate -- the English interface, a code not listed here, a plain sentence from an
older catalog -- the core's own English is shown, so the words never drift from the
command line's.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLocale

from models.reasons import JOINED, Reason, reason_of

CONTEXT = "reasons"

# code -> template with {named} placeholders (the English is the core's, minus the command
# line's hints; it is only the key of the translation)
TEMPLATES = {
    # files that cannot be read
    "unsupported_type": QT_TRANSLATE_NOOP(
        "reasons", "unsupported file type '{suffix}': Wenji reads PDF and Markdown"),
    "skipped_type": QT_TRANSLATE_NOOP("reasons", "unsupported file type '{suffix}'"),
    "file_missing": QT_TRANSLATE_NOOP(
        "reasons", "file not found (deleted or moved before it was read)"),
    "permission_denied": QT_TRANSLATE_NOOP("reasons", "cannot read the file: Permission denied"),
    "is_a_folder": QT_TRANSLATE_NOOP("reasons", "cannot read the file: Is a directory"),
    "cannot_read": QT_TRANSLATE_NOOP("reasons", "cannot read the file: {error}"),
    "empty_file": QT_TRANSLATE_NOOP("reasons", "empty file (0 bytes)"),
    "too_large": QT_TRANSLATE_NOOP(
        "reasons", "file is {size_mb} MB, over the {limit_mb} MB limit "
                   "(setting ingest.max_file_mb)"),
    "binary_not_text": QT_TRANSLATE_NOOP(
        "reasons", "binary data, not text (is it really Markdown?)"),
    "encoding_unknown": QT_TRANSLATE_NOOP(
        "reasons", "not UTF-8, and its text encoding could not be detected"),
    "encoding_wrong": QT_TRANSLATE_NOOP(
        "reasons", "not UTF-8, and it does not decode as the detected {encoding}"),
    "markdown_no_text": QT_TRANSLATE_NOOP(
        "reasons", "no text (the file has only front matter or white space)"),
    "not_found": QT_TRANSLATE_NOOP("reasons", "not found"),
    "not_regular_file": QT_TRANSLATE_NOOP(
        "reasons", "not a regular file (a pipe, socket or device)"),
    "file_changing": QT_TRANSLATE_NOOP(
        "reasons", "the file kept changing while it was read; add it again once it is saved"),
    "read_failed": QT_TRANSLATE_NOOP("reasons", "could not be read: {error}"),
    "reader_crashed": QT_TRANSLATE_NOOP("reasons", "the file crashed the PDF reader"),
    "no_text_to_index": QT_TRANSLATE_NOOP("reasons", "no text to index"),
    # PDFs
    "not_a_pdf": QT_TRANSLATE_NOOP("reasons", "not a PDF file (no %PDF header)"),
    "pdf_text_unreadable": QT_TRANSLATE_NOOP(
        "reasons", "damaged PDF: no page's text could be read ({error})"),
    "pdf_encrypted": QT_TRANSLATE_NOOP("reasons", "encrypted PDF: it needs a password"),
    "pdf_encryption_unsupported": QT_TRANSLATE_NOOP(
        "reasons", "encrypted PDF that cannot be opened: {error}"),
    "pdf_damaged": QT_TRANSLATE_NOOP("reasons", "damaged or truncated PDF: {error}"),
    "pdf_no_pages": QT_TRANSLATE_NOOP("reasons", "damaged or truncated PDF: no pages found"),
    # scanned pages and OCR
    "scanned_no_ocr": QT_TRANSLATE_NOOP("reasons", "no text layer (scanned?), and {why}"),
    "scanned_ocr_off": QT_TRANSLATE_NOOP(
        "reasons", "scanned, no text layer, and OCR is off (setting ingest.ocr)"),
    "scanned_ocr_failed": QT_TRANSLATE_NOOP(
        "reasons", "scanned, and OCR failed (page {page}: {error})"),
    "scanned_over_ocr_limit": QT_TRANSLATE_NOOP(
        "reasons", "scanned, {pages} pages: over the limit of {limit} OCR pages per document "
                   "(setting ingest.ocr_max_pages)"),
    "no_text_even_by_ocr": QT_TRANSLATE_NOOP(
        "reasons", "no text found, not even by OCR (blank or picture-only pages)"),
    "ocr_cannot_render": QT_TRANSLATE_NOOP(
        "reasons", "PDFium could not open the file, so its pages cannot be rendered for OCR"),
    "ocr_not_installed": QT_TRANSLATE_NOOP("reasons", "OCR is not installed (rapidocr: {error})"),
    "ocr_model_missing": QT_TRANSLATE_NOOP(
        "reasons", "OCR model missing: {path} (reinstall rapidocr)"),
    "pages_read_by_ocr": QT_TRANSLATE_NOOP("reasons", "{done} of {pages} pages read by OCR"),
    "ocr_failed_on_pages": QT_TRANSLATE_NOOP("reasons", "OCR failed on {count} page(s): {pages}"),
    "ocr_pages_skipped": QT_TRANSLATE_NOOP(
        "reasons", "{skipped} scanned pages not read: over the limit of {limit} OCR pages per "
                   "document (setting ingest.ocr_max_pages)"),
    "pages_no_text_layer": QT_TRANSLATE_NOOP(
        "reasons", "{unread} of {pages} pages have no text layer; {why}"),
    "pages_scanned_ocr_off": QT_TRANSLATE_NOOP(
        "reasons", "{unread} of {pages} pages have no text layer (scanned?); OCR is off "
                   "(setting ingest.ocr)"),
    "pages_without_text": QT_TRANSLATE_NOOP(
        "reasons", "{unread} of {pages} pages have no text, not even by OCR (blank?)"),
    "pages_text_unreadable": QT_TRANSLATE_NOOP(
        "reasons", "text could not be read from page(s) {pages}"),
    # the library and watched folders
    "moved_from": QT_TRANSLATE_NOOP("reasons", "moved from {path}"),
    "file_gone": QT_TRANSLATE_NOOP("reasons", "file no longer exists"),
    "file_deleted": QT_TRANSLATE_NOOP("reasons", "file deleted"),
    "cancelled": QT_TRANSLATE_NOOP("reasons", "cancelled"),
    "being_indexed": QT_TRANSLATE_NOOP("reasons", "being indexed"),
    "interrupted": QT_TRANSLATE_NOOP(
        "reasons", "interrupted before it was indexed; ingest again"),
    "folder_not_found": QT_TRANSLATE_NOOP("reasons", "{folder} is not a folder"),
    "folder_missing": QT_TRANSLATE_NOOP(
        "reasons", "The folder is not there (deleted, renamed, or on a drive that is not "
                   "connected); its documents are kept, and it is scanned again when it is "
                   "back."),
    # a team's shared library
    "read_only_library": QT_TRANSLATE_NOOP(
        "reasons", "you may search the shared knowledge bases on {server} but not change "
                   "them: your account is a reader (ask a writer or the server's "
                   "administrator)"),
    "server_login_refused": QT_TRANSLATE_NOOP(
        "reasons", "the server {server} refused the login: wrong password, or no such "
                   "account"),
    "vector_server_refused": QT_TRANSLATE_NOOP(
        "reasons", "the vector server {url} refused the token: check it, or ask for a new "
                   "one"),
    "server_unreachable": QT_TRANSLATE_NOOP(
        "reasons", "cannot reach the server {server} ({error})"),
    "server_lost": QT_TRANSLATE_NOOP(
        "reasons", "the server {server} restarted or could not be reached ({error})"),
    "server_lost_file": QT_TRANSLATE_NOOP(
        "reasons", "the server {server} restarted or could not be reached while this file "
                   "was written; it was not added (ingest it again)"),
    "written_elsewhere": QT_TRANSLATE_NOOP(
        "reasons", "another client was still writing it; ingest it again later"),
    "library_outdated": QT_TRANSLATE_NOOP(
        "reasons", "the shared library {server} was set up by an older Wenji: ask its "
                   "administrator to run `wenji server init` again"),
    # model files
    "not_gguf": QT_TRANSLATE_NOOP(
        "reasons", "{path}: not a GGUF file (it does not start with 'GGUF')"),
    "gguf_too_small": QT_TRANSLATE_NOOP(
        "reasons", "{path}: file is only {size} bytes; it is truncated"),
    "model_is_folder": QT_TRANSLATE_NOOP("reasons", "{path}: is a folder, not a GGUF file"),
    "model_not_found": QT_TRANSLATE_NOOP("reasons", "{path}: file not found"),
    "model_permission_denied": QT_TRANSLATE_NOOP("reasons", "{path}: permission denied"),
    "model_cannot_read": QT_TRANSLATE_NOOP("reasons", "{path}: cannot be read: {error}"),
    "not_a_language_model": QT_TRANSLATE_NOOP(
        "reasons", "{path}: the GGUF header has no general.architecture; it is not a "
                   "language model file"),
    "gguf_version": QT_TRANSLATE_NOOP(
        "reasons", "{path}: unsupported GGUF version {version} (only 2 and 3 are supported)"),
    "gguf_corrupt": QT_TRANSLATE_NOOP("reasons", "{path}: the GGUF header is damaged"),
    "model_truncated": QT_TRANSLATE_NOOP(
        "reasons", "{path}: file is truncated ({missing_mib} MiB missing)"),
    "llama_cannot_load": QT_TRANSLATE_NOOP(
        "reasons", "{path}: llama.cpp cannot load this model: {cause}"),
    "llama_failed_to_load": QT_TRANSLATE_NOOP(
        "reasons", "{path}: llama.cpp failed to load it: {cause}"),
    "context_too_small": QT_TRANSLATE_NOOP(
        "reasons", "{path}: context length {n_ctx} is too small (at least 64)"),
    "not_enough_memory": QT_TRANSLATE_NOOP(
        "reasons", "{path}: not enough memory for a {n_ctx}-token context: needs about {need} "
                   "(weights {weights}, context cache {cache}) but only {available} is "
                   "available; choose a shorter context"),
    "no_model_named": QT_TRANSLATE_NOOP("reasons", "no model named '{name}' (known models: {known})"),
    "no_model_loaded": QT_TRANSLATE_NOOP("reasons", "no chat model is loaded"),
    # questions
    "no_such_kb": QT_TRANSLATE_NOOP("reasons", "no knowledge base named '{name}' (known: {known})"),
    "documents_not_in_kb": QT_TRANSLATE_NOOP(
        "reasons", "none of the chosen documents is in the knowledge base '{kb}' (or none is "
                   "ready yet)"),
    "kb_empty": QT_TRANSLATE_NOOP("reasons", "the knowledge base '{kb}' is empty: add documents first"),
    "kb_other_embedder": QT_TRANSLATE_NOOP(
        "reasons", "the knowledge base '{kb}' was built with the embedder '{built}', not "
                   "'{current}': re-embed it, or choose that embedder in the settings"),
    "question_empty": QT_TRANSLATE_NOOP("reasons", "the question is empty"),
}
SEPARATOR = QT_TRANSLATE_NOOP("reasons", "; ")  # between the reasons of one line

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def translate(source: str) -> str:
    return QCoreApplication.translate(CONTEXT, source)


def reason_text(reason: str | None) -> str:
    """``reason`` in the interface's language: a :class:`Reason` by its code, anything
    else (a plain sentence, None) as it is."""
    if not reason:
        return ""
    if not isinstance(reason, Reason):
        return str(reason)
    if reason.code == JOINED and reason.parts:
        parts = [reason_text(part) for part in reason.parts]
        if all(p == str(q) for p, q in zip(parts, reason.parts)):
            return reason.english()
        return translate(SEPARATOR).join(parts)
    source = TEMPLATES.get(reason.code)
    if source is None:
        return reason.english()
    template = translate(source)
    if template == source:  # not translated: the core's own English
        return reason.english()
    return _PLACEHOLDER.sub(lambda m: _param_text(reason.params, m), template)


def error_text(error: BaseException | None, message: str = "") -> str:
    """What went wrong in ``error`` (the reason it carries) in the interface's language;
    ``message`` when there is no error object (a failure reported as text)."""
    return reason_text(reason_of(error)) if error is not None else message


def _param_text(params: dict, match: re.Match) -> str:
    name = match.group(1)
    if name not in params:
        return match.group(0)
    value = params[name]
    if isinstance(value, Reason):
        return reason_text(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return QLocale().toString(value)
    if isinstance(value, float):
        return QLocale().toString(value, "f", 0 if value.is_integer() else 1)
    return str(value)
