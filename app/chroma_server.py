"""Chroma's own Python server, for a team's shared knowledge bases:
``python -m app.chroma_server HOST PORT``.

Why not ``chroma run``: the Rust server of chromadb 1.5 does not check tokens at all (a
wrong token, or none, may read and write every collection), while the FastAPI server in
the same package does: token authentication and a role per user
(``CHROMA_SERVER_AUTHN_*`` and ``CHROMA_SERVER_AUTHZ_*`` environment variables; see
``wenji server init``).  Two things in that server need help, both done here and nothing
else changed:

* it imports ``opentelemetry.instrumentation.fastapi``, which chromadb does not
  require: a do-nothing stand-in is used when it is missing (tracing is off anyway);
* it fails every read that returns embeddings (``'list' object has no attribute
  'tolist'``: the storage engine returns lists where the HTTP layer expects NumPy
  arrays): the results are turned into arrays before the HTTP layer sees them.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

TOKEN_AUTHN = "chromadb.auth.token_authn.TokenAuthenticationServerProvider"
TOKEN_CLIENT = "chromadb.auth.token_authn.TokenAuthClientProvider"
RBAC_AUTHZ = "chromadb.auth.simple_rbac_authz.SimpleRBACAuthorizationProvider"

# Action names from chromadb.auth.AuthzAction (chromadb 1.5): what each role may do.
# Neither role may reset the server or create/delete tenants and databases.
READER_ACTIONS = [
    "tenant:get_tenant",
    "db:get_database",
    "db:list_databases",
    "db:list_collections",
    "db:count_collections",
    "collection:get_collection",
    "collection:get",
    "collection:query",
    "collection:count",
]
WRITER_ACTIONS = READER_ACTIONS + [
    "db:create_collection",
    "db:get_or_create_collection",
    "collection:update_collection",
    "collection:delete_collection",
    "collection:add",
    "collection:update",
    "collection:upsert",
    "collection:delete",
]
ROLES = {"reader": READER_ACTIONS, "writer": WRITER_ACTIONS}

def write_auth_files(folder: Path, users: dict[str, tuple[str, str]]) -> None:
    """``credentials.yaml`` (each user's token) and ``authz.yaml`` (each user's role)
    in ``folder``, readable by their owner only; ``users``: id -> (token, role)."""
    creds = ["users:"]
    authz = ["roles_mapping:"]
    for role, actions in ROLES.items():
        authz += [f"  {role}:", "    actions:"] + [f"      - {_yaml(a)}" for a in actions]
    authz.append("users:")
    for user, (token, role) in users.items():
        creds += [f"  - id: {_yaml(user)}", f"    role: {_yaml(role)}",
                  "    tokens:", f"      - {_yaml(token)}"]
        authz += [f"  - id: {_yaml(user)}", f"    role: {_yaml(role)}"]
    for name, lines in (("credentials.yaml", creds), ("authz.yaml", authz)):
        path = Path(folder) / name
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)


def server_environment(folder: Path, data_dir: Path) -> dict[str, str]:
    """The environment that makes the server keep its data in ``data_dir`` and check
    tokens and roles from the files ``write_auth_files`` put in ``folder``."""
    folder = Path(folder)
    return {"IS_PERSISTENT": "TRUE", "PERSIST_DIRECTORY": str(data_dir),
            "ANONYMIZED_TELEMETRY": "FALSE", "ALLOW_RESET": "FALSE",
            "CHROMA_SERVER_AUTHN_PROVIDER": TOKEN_AUTHN,
            "CHROMA_SERVER_AUTHN_CREDENTIALS_FILE": str(folder / "credentials.yaml"),
            "CHROMA_SERVER_AUTHZ_PROVIDER": RBAC_AUTHZ,
            "CHROMA_SERVER_AUTHZ_CONFIG_FILE": str(folder / "authz.yaml")}


def _yaml(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar



def _stand_in_for_tracing() -> None:
    try:
        import opentelemetry.instrumentation.fastapi  # noqa: F401
    except ImportError:
        class FastAPIInstrumentor:
            @staticmethod
            def instrument_app(app, **kwargs):
                return None

        stub = types.ModuleType("opentelemetry.instrumentation.fastapi")
        stub.FastAPIInstrumentor = FastAPIInstrumentor
        sys.modules.setdefault("opentelemetry.instrumentation",
                               types.ModuleType("opentelemetry.instrumentation"))
        sys.modules["opentelemetry.instrumentation.fastapi"] = stub


def _embeddings_as_arrays(api) -> None:
    import numpy as np

    get, query = api._get, api._query

    def _get(*args, **kwargs):
        result = get(*args, **kwargs)
        if result.get("embeddings") is not None:
            result["embeddings"] = [np.asarray(e) for e in result["embeddings"]]
        return result

    def _query(*args, **kwargs):
        result = query(*args, **kwargs)
        if result.get("embeddings") is not None:
            result["embeddings"] = [[np.asarray(e) for e in row]
                                    for row in result["embeddings"]]
        return result

    api._get, api._query = _get, _query


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    host, port = (argv + ["127.0.0.1", "8000"][len(argv):])[:2]
    _stand_in_for_tracing()
    import uvicorn

    import chromadb.app

    _embeddings_as_arrays(chromadb.app.server._api)
    uvicorn.run(chromadb.app.app, host=host, port=int(port), workers=1, log_level="info",
                timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
