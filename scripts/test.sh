#!/usr/bin/env bash
# Run every test.  pytest's exit code 5 (no tests collected) is an error here: a test
# command that runs nothing must not look green.
set -uo pipefail
cd "$(dirname "$0")/.."
export QT_QPA_PLATFORM=offscreen
# The run needs a few GB of temporary space at its peak; say so before tests fail oddly.
tmp=${TMPDIR:-/tmp}
free_mb=$(df -Pm "$tmp" | awk 'NR==2 {print $4}')
if [[ -n "$free_mb" && "$free_mb" -lt 6000 ]]; then
    echo "test.sh: warning: only ${free_mb} MB free in $tmp; the tests need about 6 GB" >&2
fi
.venv/bin/python -m pytest -p no:cacheprovider "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
    echo "test.sh: pytest collected no tests" >&2
    exit 1
fi
exit $rc
