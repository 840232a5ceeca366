#!/usr/bin/env bash
# Run every test.  pytest's exit code 5 (no tests collected) is an error here: a test
# command that runs nothing must not look green.
set -uo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
.venv/bin/python -m pytest -p no:cacheprovider "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
    echo "test.sh: pytest collected no tests" >&2
    exit 1
fi
exit $rc
