"""Sign in to the team library: a new password and token after its server refused one.

A desktop user whose password was changed (or whose token was replaced) should not need
a terminal: the window's problem message offers "Sign in…", which opens this dialog.  It
names the account, the catalog server and the vector server the secrets are for, and
never shows a secret (both fields echo dots and start empty).  What happens on OK is the
window's (:meth:`app.gui.main_window.MainWindow.sign_in`): the library is opened with
them in the background, then they go to the OS keyring, or stay in memory for this
session where there is none.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
                               QVBoxLayout, QWidget)


class SignInDialog(QDialog):
    """The password and token for the team library; ``refused``: why they are asked
    for (the server's refusal, worded), ``token_refused``: the vector server refused the
    token (its field gets the focus), not the catalog server the password."""

    def __init__(self, refused: str, account: str, catalog: str, vectors: str,
                 token_refused: bool = False, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.setWindowTitle(self.tr("Sign in to the team library"))
        self.setMinimumWidth(580)  # a server's URL on one line

        self.reason_label = QLabel(refused)
        self.reason_label.setObjectName("signInReason")
        self.reason_label.setWordWrap(True)

        self.password_edit = self._secret_field("signInPassword", self.tr("Password"),
                                                self.tr("Your password on the catalog server"))
        self.token_edit = self._secret_field("signInToken", self.tr("Token"),
                                             self.tr("Your token for the vector server"))
        form = QFormLayout()
        form.addRow(self.tr("Account:"), self._value(account, "signInAccount"))
        form.addRow(self.tr("Server:"), self._value(catalog, "signInServer"))
        form.addRow(self.tr("Vector server:"), self._value(vectors, "signInVectors"))
        form.addRow(self.tr("&Password:"), self.password_edit)
        form.addRow(self.tr("&Token:"), self.token_edit)

        self.keep_note = QLabel(self.tr(
            "Leave a field empty to keep the one Wenji has. Once the server accepts them, "
            "they are kept in this computer's keyring (or, without one, until Wenji "
            "closes)."))
        self.keep_note.setWordWrap(True)
        # for scripts and servers, the terminal's way: secondary, so smaller
        self.script_note = QLabel(self.tr(
            "In scripts: “wenji server login” keeps them on this computer, or set "
            "WENJI_SHARED_PASSWORD and WENJI_SHARED_TOKEN."))
        self.script_note.setObjectName("signInScriptNote")
        self.script_note.setWordWrap(True)
        font = self.script_note.font()
        font.setPointSizeF(font.pointSizeF() * 0.9)
        self.script_note.setFont(font)
        self.script_note.setEnabled(False)  # greyed: a note, not a control

        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.sign_in_button = self.buttons.button(QDialogButtonBox.Ok)
        self.sign_in_button.setText(self.tr("Sign in"))
        self.buttons.button(QDialogButtonBox.Cancel).setText(
            self.tr("Keep this computer's library"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for field in (self.password_edit, self.token_edit):
            field.textChanged.connect(self._enable_sign_in)
        self._enable_sign_in()

        lay = QVBoxLayout(self)
        lay.addWidget(self.reason_label)
        lay.addSpacing(6)
        lay.addLayout(form)
        lay.addWidget(self.keep_note)
        lay.addWidget(self.script_note)
        lay.addWidget(self.buttons)
        (self.token_edit if token_refused else self.password_edit).setFocus()

    def _secret_field(self, name: str, accessible: str, placeholder: str) -> QLineEdit:
        field = QLineEdit()
        field.setObjectName(name)
        field.setEchoMode(QLineEdit.Password)
        field.setAccessibleName(accessible)
        field.setPlaceholderText(placeholder)
        return field

    @staticmethod
    def _value(text: str, name: str) -> QLabel:
        """A name shown as it is (an account, a server): selectable, for copying."""
        label = QLabel(text)
        label.setObjectName(name)
        label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        return label

    def _enable_sign_in(self) -> None:
        """Sign in needs something new to try."""
        self.sign_in_button.setEnabled(bool(self.password() or self.token()))

    def password(self) -> str:
        return self.password_edit.text()

    def token(self) -> str:
        return self.token_edit.text()
