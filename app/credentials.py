"""The password and token of a shared library, never in settings.toml: those typed in
this session (the window's sign-in dialog, kept in memory by its caller), the
environment (WENJI_SHARED_PASSWORD, WENJI_SHARED_TOKEN: for scripts and servers) or the OS
keyring (macOS Keychain, Windows Credential Locker, the Secret Service on Linux desktops),
where ``wenji server login`` and the sign-in dialog put them."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

SERVICE = "wenji"
PASSWORD_ENV = "WENJI_SHARED_PASSWORD"
TOKEN_ENV = "WENJI_SHARED_TOKEN"


class CredentialsError(Exception):
    """The keyring cannot be used; the message says what to do instead."""


def password_key(conninfo: str) -> str:
    """The keyring's name for this role on this server (no secret in it)."""
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(conninfo)
    return (f"postgres:{info.get('user', '')}@{info.get('host', 'localhost')}:"
            f"{info.get('port', 5432)}/{info.get('dbname', '')}")


def token_key(chroma_url: str) -> str:
    return f"chroma:{chroma_url.rstrip('/')}"


def _keyring_get(key: str) -> str | None:
    try:
        import keyring

        return keyring.get_password(SERVICE, key)
    except Exception as exc:  # no backend (a headless machine), a locked keyring
        log.info("keyring unavailable for %s: %s", key, exc)
        return None


def secrets_for(conninfo: str, chroma_url: str,
                typed: tuple[str | None, str | None] = (None, None)
                ) -> tuple[str | None, str | None]:
    """(password, token): each as ``typed`` in this session if it was (the person's
    newest word, given after the others were refused), else the environment's, then the
    keyring's."""
    password = (typed[0] or os.environ.get(PASSWORD_ENV)
                or _keyring_get(password_key(conninfo)))
    token = typed[1] or os.environ.get(TOKEN_ENV) or _keyring_get(token_key(chroma_url))
    return password, token


def store(conninfo: str, chroma_url: str, password: str | None, token: str | None) -> None:
    """Keep the password and token in the OS keyring."""
    try:
        import keyring

        if password:
            keyring.set_password(SERVICE, password_key(conninfo), password)
        if token:
            keyring.set_password(SERVICE, token_key(chroma_url), token)
    except Exception as exc:
        raise CredentialsError(
            f"the system keyring cannot be used here ({type(exc).__name__}); set "
            f"{PASSWORD_ENV} and {TOKEN_ENV} in the environment instead") from None
