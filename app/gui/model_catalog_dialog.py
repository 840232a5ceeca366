"""The "Get models…" dialog: the catalog (:mod:`models.catalog`) with what fits this
machine, and one download at a time (:mod:`models.download`) with its progress.

The download runs on a background operation; the dialog only shows it.  Closing the
dialog or the window pauses it (the partial file stays: the next "Download" goes on
from there), "Cancel" deletes the partial file.  A finished model is registered by being
in the models folder; "Use this model" asks the window to switch to it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHBoxLayout, QHeaderView, QLabel,
                               QProgressBar, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from app.gui import theme
from app.gui.icons import icon
from models.catalog import memory_size
from models.download import DownloadStopped, human_size

FIT_COLOURS = {"fits": "success", "tight": "warning", "too_big": "error"}  # theme.colors()
COLUMNS = 7


def _languages(codes) -> str:
    """"中文 · English" for the two that matter here, then how many more."""
    shown = [name for code, name in (("zh", "中文"), ("en", "English")) if code in codes]
    more = len(codes) - len(shown)
    return " · ".join(shown or list(codes[:2])) + (f" +{more}" if more > 0 and shown else "")


class ModelCatalogDialog(QDialog):
    """``use_model(path)``: the person wants the downloaded model loaded;
    ``downloaded(path)``: a model arrived in the models folder."""

    use_model = Signal(str)
    downloaded = Signal(str)

    def __init__(self, services, background, parent: QWidget | None = None):
        super().__init__(parent)
        from models.catalog import MachineInfo, full_catalog

        self.services, self.background = services, background
        self.setWindowTitle(self.tr("Get models"))
        self.setObjectName("modelCatalogDialog")
        self.resize(980, 560)
        home = services.ctx.home
        self.models_dir = home.models_dir
        self.endpoint = services.ctx.settings.models.hub_endpoint or None
        self.machine = MachineInfo.detect()
        self.entries = full_catalog(home.root / "catalog.toml")
        self.download = None  # the running models.download.ModelDownload
        self.operation = None
        self.finished_path: str | None = None

        intro = QLabel(self.tr(
            "Instruction-tuned models that answer from your documents. This computer has "
            "{ram} of memory{gpu}. Downloading is the only time Wenji uses the network; it "
            "comes from {source}.").format(
                ram=memory_size(self.machine.total_ram_bytes, whole=True),
                gpu="" if self.machine.gpu_offload else self.tr(" and no GPU offload"),
                source=self.endpoint or self.tr("Hugging Face (or the mirror in HF_ENDPOINT)")))
        intro.setWordWrap(True)

        self.table = QTableWidget(0, COLUMNS)
        self.table.setObjectName("catalogTable")
        self.table.setAccessibleName(self.tr("Models to download"))
        self.table.setHorizontalHeaderLabels([
            self.tr("Model"), self.tr("Size"), self.tr("Languages"), self.tr("Fits this computer"),
            self.tr("Speed here"), self.tr("Licence"), self.tr("Status")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        for c in range(1, COLUMNS):
            header.setSectionResizeMode(c, QHeaderView.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selection_changed)

        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setObjectName("modelDetails")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        self.progress.setAccessibleName(self.tr("Download progress"))
        self.status = QLabel()
        self.status.setObjectName("downloadStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)

        self.download_button = QPushButton(self.tr("Download"))
        self.download_button.setDefault(True)
        self.pause_button = QPushButton(self.tr("Pause"))
        self.cancel_button = QPushButton(self.tr("Cancel download"))
        self.use_button = QPushButton(self.tr("Use this model"))
        close = QPushButton(self.tr("Close"))
        self.download_button.clicked.connect(self.start_download)
        self.pause_button.clicked.connect(self.pause_download)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.use_button.clicked.connect(self._use)
        close.clicked.connect(self.close)
        self.download_button.setIcon(icon("download"))
        self.pause_button.setIcon(icon("pause"))
        buttons = QHBoxLayout()
        for b in (self.download_button, self.pause_button, self.cancel_button, self.use_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.refresh()
        self._recommend()

    # --- the list ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Rebuild the rows (status: downloaded, paused with how much, or nothing)."""
        from models.catalog import fit, speed_class
        from models.download import partial_downloads

        have = {p.name for p in Path(self.models_dir).glob("*.gguf")}
        paused = partial_downloads(self.models_dir)
        selected = self.selected_entry()
        self.table.setRowCount(len(self.entries))
        for row, e in enumerate(self.entries):
            f = fit(e, self.machine)
            langs = _languages(e.languages)
            fit_text = {"fits": self.tr("✓ fits"), "tight": self.tr("tight"),
                        "too_big": self.tr("✗ too big")}[f.level]
            speed = {"fast": self.tr("fast"), "moderate": self.tr("moderate"),
                     "slow": self.tr("slow"), "very slow": self.tr("very slow")}[
                speed_class(e, self.machine.gpu_offload)]
            if e.file in have:
                state = self.tr("downloaded")
            elif self.download is not None and self.download.entry.name == e.name:
                state = self.tr("downloading…")
            elif e.file in paused:
                state = self.tr("paused at {size}").format(size=human_size(paused[e.file]))
            else:
                state = ""
            said = "think" in e.display.lower() or "reason" in e.display.lower()
            name = e.display + (self.tr("  · reasoning") if e.reasoning and not said else "")
            cells = [name, human_size(e.size_bytes), langs, fit_text, speed, e.licence, state]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setData(Qt.UserRole, e.name)
                    item.setToolTip(f"{e.repo}/{e.file}\n{e.notes}")
                if col == 3:
                    item.setForeground(QBrush(QColor(theme.colors()[FIT_COLOURS[f.level]])))
                    item.setToolTip(self._fit_reason(f))
                self.table.setItem(row, col, item)
            if selected is not None and e.name == selected.name:
                self.table.selectRow(row)
        self._update_buttons()

    def _recommend(self) -> None:
        """Preselect the largest Chinese-and-English chat model that fits comfortably and
        is not slow here: what most people want first."""
        from models.catalog import fit, speed_class

        good = [i for i, e in enumerate(self.entries)
                if e.chinese and not e.reasoning and fit(e, self.machine).level == "fits"
                and speed_class(e, self.machine.gpu_offload) in ("fast", "moderate")]
        self.table.selectRow(max(good, key=lambda i: self.entries[i].params_b) if good else 0)

    def selected_entry(self):
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        name = self.table.item(rows[0].row(), 0).data(Qt.UserRole)
        return next((e for e in self.entries if e.name == name), None)

    def select(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.UserRole) == name:
                self.table.selectRow(row)
                return
        raise KeyError(name)

    def _selection_changed(self) -> None:
        e = self.selected_entry()
        if e is not None:
            from models.catalog import fit

            self.details.setText(self.tr("{notes} — {params:.1f}B parameters, {quant}, context "
                                         "{ctx:,} tokens; {fit}. From {repo}.").format(
                notes=e.notes, params=e.params_b, quant=e.quant, ctx=e.context,
                fit=self._fit_reason(fit(e, self.machine)), repo=e.repo))
        self._update_buttons()

    def _update_buttons(self) -> None:
        e = self.selected_entry()
        busy = self.download is not None
        there = e is not None and (Path(self.models_dir) / e.file).exists()
        from models.download import partial_downloads

        paused = e is not None and e.file in partial_downloads(self.models_dir)
        self.download_button.setEnabled(e is not None and not busy and not there)
        self.download_button.setText(self.tr("Resume") if paused and not busy
                                     else self.tr("Download"))
        self.pause_button.setEnabled(busy)
        self.cancel_button.setEnabled(busy or paused)
        self.use_button.setEnabled(there and not busy)

    def _fit_reason(self, f) -> str:
        return self.tr("needs about {needed} of {total} memory").format(
            needed=memory_size(f.needed_bytes),
            total=memory_size(self.machine.total_ram_bytes, whole=True))

    def _duration(self, seconds: float) -> str:
        seconds = int(seconds)
        if seconds >= 3600:
            return self.tr("{h} h {m} min").format(h=seconds // 3600, m=seconds % 3600 // 60)
        if seconds >= 60:
            return self.tr("{m} min {s} s").format(m=seconds // 60, s=seconds % 60)
        return self.tr("{s} s").format(s=seconds)

    # --- the download -------------------------------------------------------------------

    def start_download(self) -> None:
        from models.download import ModelDownload

        entry = self.selected_entry()
        if entry is None or self.download is not None:
            return
        dl = ModelDownload(entry, self.models_dir, endpoint=self.endpoint)
        self.download = dl

        def work(op):
            def report(p):
                if op.cancel.is_set():  # the window is closing: keep what came
                    dl.pause()
                op.report(p)
            dl.progress = report
            try:
                return str(dl.run())
            except DownloadStopped:  # asked for: not a failure
                return None

        self.progress.setVisible(True)
        self.progress.setValue(0)
        self._set_status(self.tr("Connecting to {source}…").format(
            source=dl.endpoint), error=False)
        self.operation = self.background.run(work, self._done, self._failed, self._progressed,
                                             name="model download")
        self.refresh()

    def pause_download(self) -> None:
        if self.download is not None:
            self.download.pause()
            self._set_status(self.tr("Pausing…"), error=False)

    def cancel_download(self) -> None:
        if self.download is not None:
            self.download.cancel()
            self._set_status(self.tr("Cancelling…"), error=False)
            return
        entry = self.selected_entry()  # a paused one: delete what was kept
        if entry is not None:
            from models.download import ModelDownload

            ModelDownload(entry, self.models_dir).discard()
            self._set_status(self.tr("Deleted the paused download of {name}.").format(
                name=entry.display), error=False)
            self.progress.setVisible(False)
            self.refresh()

    def _progressed(self, p) -> None:
        self.progress.setValue(int(p.fraction * 1000))
        if p.stage == "downloading":
            left = self.tr(", {time} left").format(time=self._duration(p.eta)) if p.eta else ""
            self._set_status(self.tr("{done} of {total} · {rate}/s{left}").format(
                done=human_size(p.done), total=human_size(p.total), rate=human_size(p.rate),
                left=left),
                error=False)
        elif p.stage == "verifying":
            self._set_status(self.tr("Checking the file against the hub's checksum…"),
                             error=False)

    def _done(self, path: str | None) -> None:
        if path is None:  # paused or cancelled, as asked
            self._stopped(self.download.stopped)
            return
        entry = self.download.entry
        self.download = self.operation = None
        self.finished_path = path
        self.progress.setValue(1000)
        self._set_status(self.tr("{name} is downloaded and checked. Use it now, or pick it "
                                 "later in the model list.").format(name=entry.display),
                         error=False)
        self.refresh()
        self.select(entry.name)
        self.downloaded.emit(path)

    def _failed(self, message: str) -> None:
        self.download = self.operation = None
        self._set_status(self.tr("Download failed: {reason}").format(reason=message),
                         error=True)
        self.refresh()

    def _stopped(self, stopped: str | None) -> None:
        self.download = self.operation = None
        if stopped == "pause":
            self._set_status(self.tr("Paused; the part downloaded is kept. Resume at any "
                                     "time, also after restarting Wenji."), error=False)
        elif stopped == "cancel":
            self.progress.setVisible(False)
            self._set_status(self.tr("Download cancelled; the partial file was deleted."),
                             error=False)
        self.refresh()

    def _set_status(self, text: str, error: bool) -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {theme.colors()['error']};" if error else "")

    def _use(self) -> None:
        e = self.selected_entry()
        if e is not None and (Path(self.models_dir) / e.file).exists():
            self.use_model.emit(str(Path(self.models_dir) / e.file))
            self.close()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Closing pauses a running download: the part downloaded is kept."""
        if self.download is not None:
            self.download.pause()
        super().closeEvent(event)
