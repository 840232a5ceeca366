"""Export… and Import… of a knowledge base in the window: a file dialog, a progress
dialog with Cancel, and the core's refusals as questions where there is a way out (a
name in use: another name; another embedder: re-embed).

The work is :mod:`ingest.archive`'s, on a background operation; this module only asks,
shows progress and reports.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QProgressDialog, QWidget

from app.gui.background import Background, Operation
from app.gui.reasons import error_text


class ArchiveActions(QObject):
    """``window``: the main window (for its services, status bar and library refresh)."""

    def __init__(self, window: QWidget, services, background: Background):
        super().__init__(window)
        self.window, self.services, self.background = window, services, background
        self.dialog: QProgressDialog | None = None
        self.last_result = None  # the last ExportReport / ImportReport (tests read it)
        self.last_error: str | None = None

    # --- export ---------------------------------------------------------------------

    def export(self, kb_name: str, file: str | None = None, with_files: bool | None = None
               ) -> None:
        from ingest.archive import ARCHIVE_SUFFIX

        if file is None:
            suggested = str(Path.home() / f"{kb_name}{ARCHIVE_SUFFIX}")
            file, _ = QFileDialog.getSaveFileName(
                self.window, self.tr("Export knowledge base “{kb}”").format(kb=kb_name),
                suggested, self.tr("Wenji knowledge bases (*{suffix})").format(
                    suffix=ARCHIVE_SUFFIX))
            if not file:
                return
        if with_files is None:
            answer = QMessageBox.question(
                self.window, self.tr("Export knowledge base"),
                self.tr("Include the documents themselves? The archive is larger, and the "
                        "person who imports it can open the pages the answers cite."),
                QMessageBox.Yes | QMessageBox.No | QMessageBox.Cancel, QMessageBox.No)
            if answer == QMessageBox.Cancel:
                return
            with_files = answer == QMessageBox.Yes
        library = self.services.library()

        def work(op: Operation):
            from ingest.archive import export_kb

            return export_kb(library, kb_name, file, with_files=with_files, cancel=op.cancel,
                             progress=lambda done, total, what: op.report((done, total, what)))

        self._run(work, self.tr("Exporting “{kb}”…").format(kb=kb_name), self._exported)

    def _exported(self, report) -> None:
        from models.download import human_size

        self._close_dialog()
        self.last_result = report
        self.window.statusBar().showMessage(self.tr(
            "Exported {documents} document(s), {chunks} passages to {file} ({size})").format(
                documents=report.documents, chunks=report.chunks, file=str(report.file),
                size=human_size(report.bytes)))

    # --- import ---------------------------------------------------------------------

    def import_(self, file: str | None = None, name: str | None = None,
                reembed: bool = False) -> None:
        from ingest.archive import ARCHIVE_SUFFIX, ArchiveError, read_manifest

        if file is None:
            file, _ = QFileDialog.getOpenFileName(
                self.window, self.tr("Import a knowledge base"), str(Path.home()),
                self.tr("Wenji knowledge bases (*{suffix});;All files (*)").format(
                    suffix=ARCHIVE_SUFFIX))
            if not file:
                return
        try:
            manifest = read_manifest(file)
        except ArchiveError as exc:
            self._failed(str(exc))
            return
        library = self.services.library()
        name = name or manifest.kb_name
        while library.catalog.kb(name) is not None:
            name, ok = QInputDialog.getText(
                self.window, self.tr("Import a knowledge base"),
                self.tr("A knowledge base named “{name}” exists already. Import it as:")
                .format(name=name), text=f"{name} (2)")
            if not ok or not name.strip():
                return
            name = name.strip()
        embedder = self.services.embedder()

        def work(op: Operation):
            from ingest.archive import import_kb

            progress = lambda done, total, what: op.report((done, total, what))  # noqa: E731
            if reembed:
                embedder.load()
                return import_kb(library, file, as_name=name, reembed=embedder,
                                 progress=progress, cancel=op.cancel)
            return import_kb(library, file, as_name=name, embedder=embedder,
                             progress=progress, cancel=op.cancel)

        def failed(message: str) -> None:
            from ingest.archive import ArchiveEmbedderMismatch

            error = getattr(self._operation, "error", None)
            if isinstance(error, ArchiveEmbedderMismatch) and not reembed:
                self._close_dialog()
                answer = QMessageBox.question(
                    self.window, self.tr("Import a knowledge base"),
                    self.tr("Its passages were embedded with {archived}; this Wenji searches "
                            "with {current}. Embed them again now? (minutes for a large "
                            "knowledge base)").format(archived=error.archived,
                                                      current=error.current))
                if answer == QMessageBox.Yes:
                    self.import_(file, name, reembed=True)
                return
            self._failed(error_text(error, message))

        self._run(work, self.tr("Importing “{name}”…").format(name=name), self._imported,
                  failed)

    def _imported(self, report) -> None:
        self._close_dialog()
        self.last_result = report
        self.window.refresh_library()
        self.window.library_panel.set_current_kb(report.kb)
        self.window.statusBar().showMessage(self.tr(
            "Imported “{kb}”: {documents} document(s), {chunks} passages in {seconds:.0f} s"
            "{how}").format(kb=report.kb, documents=report.documents, chunks=report.chunks,
                            seconds=report.seconds,
                            how=self.tr(" (embedded again)") if report.reembedded else ""))

    # --- shared -----------------------------------------------------------------------

    def _run(self, work, label: str, done, failed=None) -> None:
        self.last_error = None
        self.dialog = QProgressDialog(label, self.tr("Cancel"), 0, 0, self.window)
        self.dialog.setWindowTitle(self.tr("Knowledge base"))
        self.dialog.setWindowModality(Qt.WindowModal)
        self.dialog.setMinimumDuration(300)
        self._operation = self.background.run(
            work, done, failed or (lambda message: self._failed(
                error_text(self._operation.error, message))),
            self._progress, name="kb-archive")
        self.dialog.canceled.connect(self._operation.stop)

    def _progress(self, value) -> None:
        done, total, what = value
        if self.dialog is not None:
            self.dialog.setMaximum(max(total, 1))
            self.dialog.setValue(min(done, total))
            self.dialog.setLabelText(what)

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.reset()
            self.dialog.deleteLater()
            self.dialog = None

    def _failed(self, message: str) -> None:
        self._close_dialog()
        self.last_error = message
        self.window.show_problem(message)

