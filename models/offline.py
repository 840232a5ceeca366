"""Keep every library we use off the network.

Wenji promises that nothing leaves the machine.  Hugging Face libraries read
``HF_HUB_OFFLINE`` when they are first imported and Chroma reads its telemetry flag
when a client is created, so this module must run before either is imported: every
core package imports it from its ``__init__``.
"""

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",  # Chroma's product telemetry
    "TOKENIZERS_PARALLELISM": "false",  # quiet, and safe with worker processes
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
}


def enforce_offline() -> None:
    """Set the offline switches (idempotent; explicit user values are overridden)."""
    os.environ.update(OFFLINE_ENV)


enforce_offline()
