"""Names for screen readers where Qt has none to give.

A field in a form is announced by its label only when the platform follows the label's
buddy, which not every screen reader does; an accessible name on the field itself is
read everywhere.  ``name_form_fields`` copies each form label onto its field (and onto
the input inside a field made of several widgets).
"""

from __future__ import annotations

from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QComboBox, QFormLayout,
                               QLabel, QLineEdit, QWidget)

INPUTS = (QLineEdit, QComboBox, QAbstractSpinBox, QAbstractButton)


def label_text(text: str) -> str:
    """A label's words without the mnemonic and the colon."""
    return text.replace("&", "").strip().rstrip(":：").strip()


def name_form_fields(form: QFormLayout) -> None:
    for row in range(form.rowCount()):
        label = form.itemAt(row, QFormLayout.LabelRole)
        field = form.itemAt(row, QFormLayout.FieldRole)
        if label is None or field is None or not isinstance(label.widget(), QLabel):
            continue
        name = label_text(label.widget().text())
        widget = field.widget()
        if widget is None or not name:
            continue
        targets = [widget] if isinstance(widget, INPUTS) else [
            w for w in widget.findChildren(QWidget) if isinstance(w, (QLineEdit, QComboBox))][:1]
        for target in targets:
            if not target.accessibleName():
                target.setAccessibleName(name)
