#!/usr/bin/env bash
# Re-create the lock: requirements.lock (everything the app, tests and benchmarks import,
# direct and transitive, exact versions) and scripts/build-constraints.txt (what the
# source builds use).  Run it after changing pyproject.toml's dependencies or to take
# newer releases, then run `make test` and commit the lock as its own deliberate step.
#
#     bash scripts/lock.sh            # newest releases that satisfy pyproject.toml
#     bash scripts/lock.sh -P NAME    # upgrade one package only, keep the others
#
# pip-tools' pip-compile is used because it resolves with pip itself, so it sees the same
# package sources and constraints as the set-up does (uv does not read pip's config).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${WENJI_PYTHON:-python3}
TOOLS=.venv-lock
[[ -x "$TOOLS/bin/pip-compile" ]] || {
    "$PY" -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install -q "pip-tools==7.6.2"
}
compile=("$TOOLS/bin/pip-compile" --quiet --no-emit-index-url --no-emit-find-links
         --no-header --annotation-style=line --strip-extras)
upgrade=(--upgrade)
[[ $# -gt 0 ]] && upgrade=("$@")

"${compile[@]}" "${upgrade[@]}" --allow-unsafe --unsafe-package pip \
    --extra test --extra bench -c scripts/lock-pins.txt -o requirements.lock pyproject.toml
# The CPU build of torch carries a local label (2.13.0+cpu) that only this machine's wheel
# folder has; without the label the pin still takes that build here (PEP 440 ignores a
# candidate's local label when the pin has none) and PyPI's 2.13.0 elsewhere.
sed -i -E 's/^(torch==[0-9.]+)\+[a-z0-9]+/\1/' requirements.lock
"${compile[@]}" "${upgrade[@]}" --allow-unsafe -o scripts/build-constraints.txt scripts/build-requirements.in
echo "lock.sh: wrote requirements.lock and scripts/build-constraints.txt"
