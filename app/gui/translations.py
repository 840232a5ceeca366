"""The interface language: Qt translation files loaded at start.

Every user-visible string in the window goes through ``self.tr()`` (or
``QCoreApplication.translate``); the Chinese texts live in ``app/gui/i18n/wenji_zh_CN.ts``
and the compiled ``wenji_zh_CN.qm`` beside it is what the app loads.  Qt's own strings
(standard buttons, file dialogs) come from Qt's ``qtbase_zh_CN.qm`` when installed.

Refresh the translations after changing strings in ``app/gui/*.py``::

    .venv/bin/python -m app.gui.translations

That runs PySide6's ``lupdate`` over every ``app/gui/*.py`` (new strings appear in the
``.ts`` unfinished; translate them, e.g. with ``pyside6-linguist`` or by editing the XML)
and then ``lrelease`` to rebuild the ``.qm``.  ``--release-only`` skips ``lupdate``.
A test checks that the committed ``.qm`` matches the ``.ts``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

I18N_DIR = Path(__file__).with_name("i18n")
GUI_DIR = Path(__file__).parent
LANGUAGES = {"en": None, "zh": "zh_CN"}  # settings value -> Qt locale of the files

_installed: list[QTranslator] = []


def ts_path(locale: str = "zh_CN") -> Path:
    return I18N_DIR / f"wenji_{locale}.ts"


def qm_path(locale: str = "zh_CN") -> Path:
    return I18N_DIR / f"wenji_{locale}.qm"


def resolve_language(language: str, system: QLocale | None = None) -> str:
    """"en" or "zh" for a ``ui.language`` value: "auto" is the system's language
    (``system``, default ``QLocale.system()``): Chinese of any script or region gives
    "zh", anything else "en" (the languages there are translations for)."""
    if language != "auto":
        return language
    system = system if system is not None else QLocale.system()
    return "zh" if system.language() == QLocale.Language.Chinese else "en"


def set_number_locale(language: str) -> None:
    """Numbers and dates follow the system's region when it speaks the interface's
    language (a Swiss German system keeps its own separators), else the language's
    main region: a Chinese window on an English system writes dates the Chinese way."""
    system = QLocale.system()
    wanted = QLocale.Chinese if language == "zh" else QLocale.English
    QLocale.setDefault(system if system.language() == wanted else
                       QLocale(QLocale.Chinese, QLocale.China) if language == "zh" else
                       QLocale(QLocale.English, QLocale.UnitedStates))


def apply_language(app: QCoreApplication, language: str) -> bool:
    """Install the translators for ``language`` ("auto", "en" or "zh"), replacing any
    earlier ones; returns whether Wenji's own translation was loaded.  Widgets created
    after this call are translated, so call it before building the window."""
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    resolved = resolve_language(language)
    locale = LANGUAGES.get(resolved)
    set_number_locale(resolved)
    if locale is None:
        return False
    ok = False
    own = QTranslator(app)
    if own.load(str(qm_path(locale))):
        app.installTranslator(own)
        _installed.append(own)
        ok = True
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    qt_own = QTranslator(app)
    if qt_own.load(QLocale(locale), "qtbase", "_", qt_dir):
        app.installTranslator(qt_own)
        _installed.append(qt_own)
    return ok


def _tool(name: str) -> str:
    """PySide6's ``lupdate``/``lrelease`` (the wheel ships them beside the package)."""
    import PySide6

    bundled = Path(PySide6.__file__).parent / name
    if bundled.exists():
        return str(bundled)
    found = shutil.which(f"pyside6-{name}") or shutil.which(name)
    if not found:
        raise SystemExit(f"cannot find Qt's {name}; install PySide6")
    return found


def update_ts(locale: str = "zh_CN") -> None:
    sources = sorted(str(p) for p in GUI_DIR.glob("*.py"))
    subprocess.run([_tool("lupdate"), "-silent", "-no-obsolete", "-locations", "none",
                    "-source-language", "en", "-target-language", locale, *sources,
                    "-ts", str(ts_path(locale))],
                   check=True)


def release(ts: Path, qm: Path) -> None:
    subprocess.run([_tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    I18N_DIR.mkdir(exist_ok=True)
    if "--release-only" not in argv:
        update_ts()
    release(ts_path(), qm_path())
    print(f"updated {ts_path()} and {qm_path()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
