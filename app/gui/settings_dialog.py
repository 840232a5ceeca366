"""The Settings dialog: the options of ``settings.toml`` and of the current model.

The core decides what is valid: the edited copy of :class:`app.settings.Settings` goes
through ``Settings.validate`` and the model's ``GenerationSettings.validate`` before
anything is written, and a rejected value is shown (section, key and problem) while the
dialog stays open with nothing saved.  Number fields therefore accept more than is
valid on purpose: one set of rules, in the core.

Retrieval, chunking and sampling apply to the next question or the next files added; a
new context length or GPU layer count reloads the model; the embedder and the language
take effect after a restart, and the dialog says so; the theme applies at once.  The
embedder choice, as
``models.embedder``:

* "Multilingual + English (default)": "" (a file naming ``bundled.PAIR_NAME`` shows as this
  too and keeps its value), multilingual-e5-small and all-MiniLM-L6-v2 in one vector
  (``models.embedder_pair``): Chinese and English, and questions across the two;
* "English only (fastest)": "all-MiniLM-L6-v2", about twice as fast to add files with
  (bench/RESULTS.md);
* "Multilingual only": "multilingual-e5-small";
* "Other folder…": a sentence-transformers folder, checked before saving.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from app.gui import theme
from app.gui.accessibility import name_form_fields
from models import bundled

log = logging.getLogger(__name__)

FUSION_MODES = ["adaptive", "rrf", "keyword", "embedding"]
LANGUAGES = [("auto", None), ("en", "English"), ("zh", "中文")]  # None: "System" translated
THEMES = ["system", "light", "dark"]
AUTO_GPU = -1  # the GPU-layers box's "automatic" (None in GenerationSettings)
# the embedder choices' ``models.embedder`` values, in the order shown; OTHER_EMBEDDER: the
# folder in the field below the choice
DEFAULT_EMBEDDER = ""  # the default, bundled.PAIR_NAME (both models in one vector)
ENGLISH_EMBEDDER = bundled.EMBEDDER_NAME
MULTILINGUAL_EMBEDDER = bundled.MULTILINGUAL_NAME
OTHER_EMBEDDER = None
EMBEDDER_CHOICES = [DEFAULT_EMBEDDER, ENGLISH_EMBEDDER, MULTILINGUAL_EMBEDDER, OTHER_EMBEDDER]


class SettingsDialog(QDialog):
    def __init__(self, ctx, registry=None, model_name: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.registry, self.model_name = ctx, registry, model_name
        self.setWindowTitle(self.tr("Settings"))
        self.setObjectName("settingsDialog")
        self.saved_settings = None  # the Settings written, after a successful save
        self.restart_needed: list[str] = []
        self.model_reload_needed = False
        self._ready = False  # built: rows shown later grow the window (_fit_height)
        s = ctx.settings

        # data folder
        self.home_edit = QLineEdit(str(ctx.home.root))
        self.home_edit.setReadOnly(True)
        self.home_edit.setAccessibleName(self.tr("Data folder"))
        open_home = QPushButton(self.tr("Open folder"))
        open_home.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(ctx.home.root))))
        home_row = QHBoxLayout()
        home_row.addWidget(self.home_edit, 1)
        home_row.addWidget(open_home)
        home_box = QGroupBox(self.tr("Data folder"))
        QVBoxLayout(home_box).addLayout(home_row)

        # documents
        self.chunk_tokens = QSpinBox()
        self.chunk_tokens.setRange(0, 100_000)
        self.chunk_tokens.setValue(s.ingest.chunk_tokens)
        self.chunk_overlap = QDoubleSpinBox()
        self.chunk_overlap.setRange(0.0, 0.99)
        self.chunk_overlap.setSingleStep(0.05)
        self.chunk_overlap.setValue(s.ingest.chunk_overlap)
        self.ocr = QCheckBox(self.tr("Read scanned PDF pages with OCR (a few seconds a page)"))
        self.ocr.setChecked(s.ingest.ocr)
        self.ocr_max_pages = QSpinBox()
        self.ocr_max_pages.setRange(0, 100_000)
        self.ocr_max_pages.setValue(s.ingest.ocr_max_pages)
        self.ocr.toggled.connect(self.ocr_max_pages.setEnabled)
        self.ocr_max_pages.setEnabled(s.ingest.ocr)
        docs_box = QGroupBox(self.tr("Documents (applies to files added from now on)"))
        form = QFormLayout(docs_box)
        form.addRow(self.tr("Chunk size (tokens):"), self.chunk_tokens)
        form.addRow(self.tr("Chunk overlap (fraction):"), self.chunk_overlap)
        form.addRow(self.ocr)
        form.addRow(self.tr("OCR pages per document at most:"), self.ocr_max_pages)

        # search
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 10_000)
        self.top_k.setValue(s.retrieval.top_k)
        self.fusion = QComboBox()
        for mode, label in zip(FUSION_MODES, [self.tr("adaptive (recommended)"),
                                              self.tr("reciprocal rank fusion"),
                                              self.tr("keywords only"),
                                              self.tr("embeddings only")]):
            self.fusion.addItem(label, mode)
        if s.retrieval.fusion in FUSION_MODES:
            self.fusion.setCurrentIndex(FUSION_MODES.index(s.retrieval.fusion))
        self.reranker = QLineEdit(s.retrieval.reranker)
        self.reranker.setPlaceholderText(self.tr("none (a folder with a cross-encoder model)"))
        self.min_relevance = QDoubleSpinBox()
        self.min_relevance.setRange(-100.0, 100.0)
        self.min_relevance.setDecimals(2)
        self.min_relevance.setSingleStep(0.05)
        self.min_relevance.setValue(s.retrieval.min_relevance)
        search_box = QGroupBox(self.tr("Search (applies to the next question)"))
        form = QFormLayout(search_box)
        form.addRow(self.tr("Passages per answer (top-k):"), self.top_k)
        form.addRow(self.tr("Ranking:"), self.fusion)
        form.addRow(self.tr("Reranker folder:"), self._with_browse(self.reranker))
        form.addRow(self.tr("Minimum relevance:"), self.min_relevance)

        # the current model
        self.context_length = QSpinBox()
        self.context_length.setRange(0, 1_048_576)
        self.context_length.setSpecialValueText(self.tr("automatic"))
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(AUTO_GPU, 1000)
        self.gpu_layers.setSpecialValueText(self.tr("automatic"))
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 100.0)
        self.temperature.setSingleStep(0.1)
        self._model_settings = None
        title = (self.tr("Model {name}").format(name=model_name) if model_name
                 else self.tr("Model (none loaded)"))
        model_box = QGroupBox(title)
        form = QFormLayout(model_box)
        form.addRow(self.tr("Context length (tokens):"), self.context_length)
        form.addRow(self.tr("GPU layers:"), self.gpu_layers)
        form.addRow(self.tr("Temperature:"), self.temperature)
        if registry is not None and model_name:
            try:
                self._model_settings = registry.load_model_settings(model_name)
            except Exception as exc:
                form.addRow(QLabel(self.tr("Saved settings cannot be read: {reason}")
                                   .format(reason=exc)))
        if self._model_settings is not None:
            ms = self._model_settings
            self.context_length.setValue(ms.context_length)
            self.gpu_layers.setValue(AUTO_GPU if ms.n_gpu_layers is None else ms.n_gpu_layers)
            self.temperature.setValue(ms.temperature)
        else:
            model_box.setEnabled(False)

        # embedder and language
        self.embedder_choice = QComboBox()
        self.embedder_choice.setObjectName("embedderChoice")
        for value, label in zip(EMBEDDER_CHOICES, [self.tr("Multilingual + English (default)"),
                                                   self.tr("English only (fastest)"),
                                                   self.tr("Multilingual only"),
                                                   self.tr("Other folder…")]):
            self.embedder_choice.addItem(label, value)
        self.embedder_folder = QLineEdit()
        self.embedder_folder.setObjectName("embedderFolder")
        self.embedder_folder.setAccessibleName(self.tr("Embedder folder"))
        self.embedder_folder.setPlaceholderText(self.tr("a sentence-transformers model folder"))
        self.embedder_folder_row = self._with_browse(self.embedder_folder)
        current = s.models.embedder
        if current == bundled.PAIR_NAME:
            current = DEFAULT_EMBEDDER
        if current in EMBEDDER_CHOICES:
            self.embedder_choice.setCurrentIndex(EMBEDDER_CHOICES.index(current))
        else:
            self.embedder_choice.setCurrentIndex(EMBEDDER_CHOICES.index(OTHER_EMBEDDER))
            self.embedder_folder.setText(current)
        self.embedder_choice.currentIndexChanged.connect(self._show_embedder_folder)
        self._show_embedder_folder()
        embedder_hint = QLabel(self.tr("The default reads Chinese and English, and finds "
                                       "answers across the two; English only adds files "
                                       "about twice as fast.")
                               + "\n" + self.tr("A knowledge base built with another embedder "
                                                "is re-embedded before new files go in; "
                                                "until then a bundled one still searches "
                                                "it."))
        embedder_hint.setObjectName("embedderHint")
        embedder_hint.setWordWrap(True)
        embedder_col = QWidget()
        col = QVBoxLayout(embedder_col)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.embedder_choice)
        col.addWidget(self.embedder_folder_row)
        col.addWidget(embedder_hint)
        self.embedder_backend = QComboBox()
        self.embedder_backend.addItem(self.tr("ONNX fp32 (exact)"), "onnx-fp32")
        self.embedder_backend.addItem(self.tr("ONNX int8 (fastest)"), "onnx")
        self.embedder_backend.addItem(self.tr("PyTorch fp32"), "torch")
        self.embedder_backend.setCurrentIndex(
            max(0, self.embedder_backend.findData(s.models.embedder_backend)))
        self.language = QComboBox()
        self.language.setObjectName("languagePicker")
        for code, label in LANGUAGES:
            self.language.addItem(label or self.tr("System"), code)
        self.language.setCurrentIndex(max(0, self.language.findData(s.ui.language)))
        self.theme = QComboBox()
        self.theme.setObjectName("themePicker")
        for code, label in zip(THEMES, [self.tr("System"), self.tr("Light"), self.tr("Dark")]):
            self.theme.addItem(label, code)
        self.theme.setCurrentIndex(max(0, self.theme.findData(s.ui.theme)))
        other_box = QGroupBox(self.tr("Embedder and language (apply after a restart)"))
        form = QFormLayout(other_box)
        form.addRow(self.tr("Embedder:"), embedder_col)
        form.addRow(self.tr("Embedder runtime:"), self.embedder_backend)
        form.addRow(self.tr("Interface language:"), self.language)
        self.hub_endpoint = QLineEdit(s.models.hub_endpoint)
        self.hub_endpoint.setObjectName("hubEndpoint")
        self.hub_endpoint.setPlaceholderText(self.tr("Hugging Face; or a mirror such as "
                                                     "https://hf-mirror.com"))
        form.addRow(self.tr("Model downloads from:"), self.hub_endpoint)
        look_box = QGroupBox(self.tr("Appearance (applies at once)"))
        form = QFormLayout(look_box)
        form.addRow(self.tr("Theme:"), self.theme)
        for box in (docs_box, search_box, model_box, other_box, look_box):
            name_form_fields(box.layout())

        self.error_label = QLabel()
        self.error_label.setObjectName("settingsError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {theme.colors()['error']}")
        self.error_label.setVisible(False)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        lay = QVBoxLayout(self)
        for box in (home_box, docs_box, search_box, model_box, other_box, look_box):
            lay.addWidget(box)
        lay.addWidget(self.error_label)
        lay.addWidget(self.buttons)
        # the size hint counts the wrapped hint's lines; Qt would open the window at its
        # minimum size, which does not, and cut the hint off
        self.resize(self.sizeHint())
        self._ready = True

    def _show_embedder_folder(self) -> None:
        """The folder field is for "Other folder…" only."""
        self.embedder_folder_row.setVisible(self.embedder_choice.currentData() is OTHER_EMBEDDER)
        if self._ready:
            self._fit_height()

    def _fit_height(self) -> None:
        """Grow the window to fit its rows at its width (Qt does not for wrapped text when
        the folder field or an error appears)."""
        self.layout().activate()
        needed = self.heightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def embedder_value(self) -> str:
        """The ``models.embedder`` setting the embedder choice stands for."""
        choice = self.embedder_choice.currentData()
        if choice is OTHER_EMBEDDER:
            return self.embedder_folder.text().strip()
        if (choice == DEFAULT_EMBEDDER
                and self.ctx.settings.models.embedder == bundled.PAIR_NAME):
            return bundled.PAIR_NAME  # the same embedder, as the file names it: unchanged
        return choice

    def _with_browse(self, edit: QLineEdit) -> QWidget:
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(edit, 1)
        browse = QPushButton(self.tr("Browse…"))
        browse.setAccessibleName(self.tr("Choose a folder"))

        def pick() -> None:
            folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a folder"),
                                                      edit.text() or str(Path.home()))
            if folder:
                edit.setText(folder)

        browse.clicked.connect(pick)
        lay.addWidget(browse)
        return row

    # --- saving ---------------------------------------------------------------------------

    def edited_settings(self):
        """A copy of the settings with the dialog's values (not yet checked)."""
        new = copy.deepcopy(self.ctx.settings)
        new.ingest.chunk_tokens = self.chunk_tokens.value()
        new.ingest.chunk_overlap = round(self.chunk_overlap.value(), 4)
        new.ingest.ocr = self.ocr.isChecked()
        new.ingest.ocr_max_pages = self.ocr_max_pages.value()
        new.retrieval.top_k = self.top_k.value()
        new.retrieval.fusion = self.fusion.currentData()
        new.retrieval.reranker = self.reranker.text().strip()
        new.retrieval.min_relevance = self.min_relevance.value()
        new.models.embedder = self.embedder_value()
        new.models.embedder_backend = self.embedder_backend.currentData()
        new.ui.language = self.language.currentData()
        new.ui.theme = self.theme.currentData()
        new.models.hub_endpoint = self.hub_endpoint.text().strip()
        return new

    def edited_model_settings(self):
        if self._model_settings is None:
            return None
        gpu = self.gpu_layers.value()
        return dataclasses.replace(self._model_settings,
                                   context_length=self.context_length.value(),
                                   n_gpu_layers=None if gpu == AUTO_GPU else gpu,
                                   temperature=round(self.temperature.value(), 3))

    def _embedder_problem(self, value: str) -> str | None:
        """Why a chosen embedder folder cannot be used (the core's check, without loading
        the model), or None.  Only "Other folder…" is checked: the bundled choices are
        the core's own names."""
        if self.embedder_choice.currentData() is not OTHER_EMBEDDER:
            return None
        if not value:
            return self.tr("choose the embedder's folder, or one of the bundled embedders")
        from models.embedder import EmbedderError
        from models.embedder_pair import open_embedder

        try:
            open_embedder(value)
        except EmbedderError as exc:
            return str(exc)
        return None

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(True)
        self._fit_height()

    def save(self) -> bool:
        """Check everything with the core, then write; on a problem show it and keep
        the dialog open with nothing written."""
        from app.settings import SettingsError

        path = self.ctx.home.settings_path
        new = self.edited_settings()
        try:
            new.validate(str(path))
        except SettingsError as exc:
            self.show_error(self.tr("Not saved: {problem}").format(problem=exc))
            return False
        problem = self._embedder_problem(new.models.embedder)
        if problem:
            self.show_error(self.tr("Not saved: {problem}").format(problem=problem))
            return False
        model = self.edited_model_settings()
        if model is not None:
            try:
                model.validate(self.model_name)
            except ValueError as exc:
                self.show_error(self.tr("Not saved: {problem}").format(problem=exc))
                return False
        try:
            new.save(path)
            if model is not None and model != self._model_settings:
                self.registry.save_model_settings(self.model_name, model)
        except (OSError, ValueError) as exc:
            self.show_error(self.tr("Not saved: {problem}").format(
                problem=getattr(exc, "strerror", None) or exc))
            return False
        old = self.ctx.settings
        if (new.models.embedder, new.models.embedder_backend) != \
                (old.models.embedder, old.models.embedder_backend):
            self.restart_needed.append(self.tr("embedder"))
        from app.gui.translations import resolve_language

        if resolve_language(new.ui.language) != resolve_language(old.ui.language):
            self.restart_needed.append(self.tr("language"))
        if model is not None and self._model_settings is not None:
            self.model_reload_needed = (
                (model.context_length, model.n_gpu_layers, model.temperature)
                != (self._model_settings.context_length, self._model_settings.n_gpu_layers,
                    self._model_settings.temperature))
        self.saved_settings = new
        self.error_label.setVisible(False)
        self.accept()
        return True
