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

import sys
import types


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
