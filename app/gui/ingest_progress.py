"""What the window shows while files are added, and what went wrong afterwards.

The core's ``ingest.pipeline.Progress`` says how many files are done, the file being
worked on and the chunks embedded so far (for the whole run); the chunks of the current
file are counted here from the change in that total.  The summary lists every file that
was not added, with the core's reason, in a window that does not block the app.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QProgressBar,
                               QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from app.gui.reasons import reason_text

PROBLEM_STATUSES = ("failed", "skipped", "cancelled")


class IngestProgressView(QWidget):
    """Overall bar (files), the current file with its chunks, and Cancel."""

    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.overall = QProgressBar()
        self.overall.setObjectName("ingestOverall")
        self.overall.setFormat(self.tr("%v of %m files"))
        self.file_label = QLabel()
        self.file_label.setObjectName("ingestFile")
        self.file_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.file_bar = QProgressBar()
        self.file_bar.setObjectName("ingestFileBar")
        self.file_bar.setMaximumHeight(8)
        self.file_bar.setTextVisible(False)
        self.rate_label = QLabel()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self._cancel)
        row = QHBoxLayout()
        row.addWidget(self.overall, 1)
        row.addWidget(self.cancel_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(row)
        lay.addWidget(self.file_label)
        lay.addWidget(self.file_bar)
        lay.addWidget(self.rate_label)
        self._file = ""
        self._file_start_chunks = 0
        self.setVisible(False)

    def start(self, items: int) -> None:
        self._file, self._file_start_chunks = "", 0
        self.overall.setRange(0, 0)  # busy until the files are counted
        self.file_label.setText(self.tr("Looking at {n} item(s)…").format(n=items))
        self.file_bar.setRange(0, 0)
        self.rate_label.clear()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText(self.tr("Cancel"))
        self.setVisible(True)

    def update_progress(self, p) -> None:
        self.overall.setRange(0, max(1, p.files_total))
        self.overall.setValue(p.files_done)
        if p.current and p.current != self._file:
            self._file, self._file_start_chunks = p.current, p.chunks_done
        file_chunks = p.chunks_done - self._file_start_chunks
        # the core says how far into the current file embedding is, once it is parsed
        known = (p.stage == "indexing" and p.file_chunks_total > 0
                 and Path(p.current or "") == Path(self._file or ""))
        name = Path(self._file).name if self._file else ""
        ocr = (p.ocr_total > 0 and p.ocr_done < p.ocr_total
               and Path(p.ocr_file or "") == Path(self._file or ""))
        if ocr:
            self.file_label.setText(self.tr("{file} — reading scanned page {done} of {total} "
                                            "(OCR, a few seconds a page)")
                                    .format(file=name, done=p.ocr_done + 1, total=p.ocr_total))
            self.file_bar.setRange(0, p.ocr_total)
            self.file_bar.setValue(p.ocr_done)
        elif p.stage == "scanning":
            self.file_label.setText(self.tr("Checking {file}").format(file=name) if name
                                    else self.tr("Checking files…"))
        elif known:
            self.file_label.setText(self.tr("{file} — {done} of {total} chunks embedded")
                                    .format(file=name, done=p.file_chunks_done,
                                            total=p.file_chunks_total))
        elif name:
            self.file_label.setText(self.tr("{file} — {chunks} chunks embedded")
                                    .format(file=name, chunks=file_chunks))
        self.file_label.setToolTip(self._file)
        if known and not ocr:
            self.file_bar.setRange(0, p.file_chunks_total)
            self.file_bar.setValue(p.file_chunks_done)
        elif not ocr:
            self.file_bar.setRange(0, 0 if p.stage in ("scanning", "indexing") else 1)
        eta = " · " + self.tr("about {s} s left").format(s=round(p.eta)) if p.eta else ""
        self.rate_label.setText(self.tr("{chunks} chunks · {rate} chunks/s").format(
            chunks=p.chunks_done, rate=f"{p.rate:.1f}") + eta)

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText(self.tr("Cancelling…"))
        self.cancelRequested.emit()

    def finish(self) -> None:
        self.setVisible(False)


class IngestSummary(QDialog):
    """The files of the last run that were not added, each with its reason."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Files not added"))
        self.setModal(False)
        self.resize(720, 320)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.list = QTreeWidget()
        self.list.setObjectName("ingestProblems")
        self.list.setHeaderLabels([self.tr("File"), self.tr("Result"), self.tr("Reason")])
        self.list.setRootIsDecorated(False)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.heading)
        lay.addWidget(self.list, 1)
        lay.addWidget(buttons)

    def show_report(self, report) -> int:
        """Fill from an ``IngestReport``; returns how many files are listed."""
        problems = [o for o in report.outcomes if o.status in PROBLEM_STATUSES]
        self.list.clear()
        for o in problems:
            reason = reason_text(o.reason)
            item = QTreeWidgetItem([Path(o.path).name, self.result_text(o.status), reason])
            item.setToolTip(0, o.path)
            item.setToolTip(2, reason)
            self.list.addTopLevelItem(item)
        self.list.resizeColumnToContents(0)
        self.heading.setText(self.tr("{n} file(s) of the last run were not added to “{kb}”:")
                             .format(n=len(problems), kb=report.kb))
        return len(problems)

    def result_text(self, status: str) -> str:
        return {"failed": self.tr("failed"), "skipped": self.tr("skipped"),
                "cancelled": self.tr("cancelled")}.get(status, status)

    def rows(self) -> list[tuple[str, str, str]]:
        return [(self.list.topLevelItem(i).toolTip(0), self.list.topLevelItem(i).text(1),
                 self.list.topLevelItem(i).text(2)) for i in range(self.list.topLevelItemCount())]
