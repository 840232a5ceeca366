"""What an empty chat shows: how to start, which model answers, what to ask.

Why a page of its own: a person who opens Wenji for the first time sees an empty window
and a question box that cannot answer yet.  This page says what to do first (a large drop
target, with buttons for those who do not drag), names the model that will answer (the
bundled one is a demonstration: a button gets a better one) and, once documents are in,
offers example questions built from their names, which one click asks.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout,
                               QWidget)

from app.gui.flow_layout import flow_widget
from app.gui.icons import icon


class DropTarget(QFrame):
    """A dashed frame that invites a drop (the window itself takes the drop)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("dropTarget")
        self.title = QLabel(self.tr("Drop PDF or Markdown files or folders here"))
        self.title.setObjectName("dropTitle")
        self.title.setAlignment(Qt.AlignCenter)
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        self.title.setFont(font)
        self.hint = QLabel(self.tr("They stay on this computer: Wenji reads them, splits them "
                                   "into passages and indexes them for questions."))
        self.hint.setAlignment(Qt.AlignCenter)
        self.hint.setWordWrap(True)
        self.add_files = QPushButton(self.tr("Add files…"))
        self.add_files.setObjectName("emptyAddFiles")
        self.add_folder = QPushButton(self.tr("Add a folder…"))
        self.add_folder.setObjectName("emptyAddFolder")
        self.add_files.setIcon(icon("add-files"))
        self.add_folder.setIcon(icon("add-folder"))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_files)
        buttons.addWidget(self.add_folder)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 28, 24, 24)
        lay.setSpacing(10)
        lay.addWidget(self.title)
        lay.addWidget(self.hint)
        lay.addLayout(buttons)

    def paintEvent(self, event) -> None:
        """A dashed rounded frame on the base colour: the usual sign of a drop zone."""
        from app.gui import theme

        c = theme.colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setBrush(QColor(c["base"]))
        pen = QPen(QColor(c["field_border"]), 2, Qt.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 16, 16)
        painter.end()


class EmptyChat(QWidget):
    """The first-run and new-chat page (see the module docstring)."""

    addFilesRequested = Signal()
    addFolderRequested = Signal()
    getModelsRequested = Signal()
    exampleChosen = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("emptyChat")
        self.heading = QLabel(self.tr("Ask your documents"))
        self.heading.setObjectName("emptyHeading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setAlignment(Qt.AlignCenter)
        self.drop = DropTarget()
        self.read_only_note = QLabel()  # a reader of the team library adds nothing
        self.read_only_note.setObjectName("readOnlyNote")
        self.read_only_note.setWordWrap(True)
        self.read_only_note.setAlignment(Qt.AlignCenter)
        self.read_only_note.setVisible(False)
        self.model_line = QLabel()
        self.model_line.setObjectName("emptyModel")
        self.model_line.setWordWrap(True)
        self.model_line.setAlignment(Qt.AlignCenter)
        self.better_model = QPushButton(self.tr("Get a better model…"))
        self.better_model.setObjectName("emptyGetModels")
        self.better_model.setIcon(icon("download"))
        self.examples_title = QLabel(self.tr("Try asking:"))
        self.examples_title.setObjectName("examplesTitle")
        self.examples, self.examples_layout = flow_widget(8)
        self.example_buttons: list[QPushButton] = []

        model_row = QHBoxLayout()
        model_row.addStretch(1)
        model_row.addWidget(self.better_model)
        model_row.addStretch(1)
        column = QVBoxLayout()
        column.setSpacing(14)
        column.addStretch(2)
        column.addWidget(self.heading)
        column.addWidget(self.drop)
        column.addWidget(self.read_only_note)
        column.addWidget(self.model_line)
        column.addLayout(model_row)
        column.addWidget(self.examples_title)
        column.addWidget(self.examples)
        column.addStretch(3)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(column, 8)
        outer.addStretch(1)

        self.drop.add_files.clicked.connect(self.addFilesRequested)
        self.drop.add_folder.clicked.connect(self.addFolderRequested)
        self.better_model.clicked.connect(self.getModelsRequested)
        self.set_state([], "", False)

    def set_state(self, documents: list[str], model: str, bundled_model: bool) -> None:
        """``documents``: paths in the chat's knowledge base; ``model``: the model's name
        ("" while none is loaded); ``bundled_model``: it is the bundled demo."""
        if not model:
            self.model_line.setText(self.tr("The model is loading…"))
        elif bundled_model:
            self.model_line.setText(self.tr(
                "Answers come from {model}, the small demonstration model that comes with "
                "Wenji: it shows how Wenji works, not good answers. A better model runs "
                "on this computer too.").format(model=model))
        else:
            self.model_line.setText(self.tr("Answers come from {model}, on this computer.")
                                    .format(model=model))
        self.better_model.setVisible(bundled_model)
        self.drop.title.setText(self.tr("Drop PDF or Markdown files or folders here")
                                if not documents else
                                self.tr("Drop more files or folders here"))
        for button in self.example_buttons:
            self.examples_layout.removeWidget(button)
            button.deleteLater()
        self.example_buttons = []
        for question in self.example_questions(documents):
            button = QPushButton(question)
            button.setObjectName("exampleQuestion")
            button.setCursor(Qt.PointingHandCursor)
            button.clicked.connect(lambda _=False, q=question: self.exampleChosen.emit(q))
            self.examples_layout.addWidget(button)
            self.example_buttons.append(button)
        self.examples_title.setVisible(bool(self.example_buttons))
        self.examples.setVisible(bool(self.example_buttons))

    def set_library(self, shared: bool, writable: bool) -> None:
        """Where dropped files go: this computer's library, the team's (said so), or
        nowhere: a reader of the team's library is told why instead."""
        self.drop.hint.setText(
            self.tr("They are added to the team library: Wenji reads them on this computer, "
                    "and everyone on the team can search them.") if shared else
            self.tr("They stay on this computer: Wenji reads them, splits them into passages "
                    "and indexes them for questions."))
        self.drop.setVisible(writable)
        self.read_only_note.setText(self.tr(
            "This is your team's library: ask it anything. Your account can read it but not "
            "add to it."))
        self.read_only_note.setVisible(not writable)

    def example_questions(self, documents: list[str]) -> list[str]:
        """Questions the whole-document modes answer well, on the person's own files."""
        names = [Path(p).name for p in documents]
        if not names:
            return []
        out = [self.tr("Summarize {name}").format(name=names[0]),
               self.tr("List every date in {name}").format(name=names[0])]
        if len(names) > 1:
            out.append(self.tr("Compare {a} and {b}").format(a=names[0], b=names[1]))
        return out
