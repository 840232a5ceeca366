#!/usr/bin/env bash
# Set up everything Wenji needs in ./.venv, once: later runs see the stamp and return
# in well under a second.  Usage: scripts/setup.sh   (WENJI_PYTHON picks the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PY=${WENJI_PYTHON:-python3}
STAMP="$VENV/.wenji-setup"
# Everything that decides what gets installed; a change to any of them re-runs the setup.
want=$(cat pyproject.toml requirements.lock scripts/build-constraints.txt scripts/setup.sh \
           scripts/system-packages.txt | sha256sum | cut -c1-16)

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -x "$VENV/bin/wenji" ]]; then
    exit 0
fi

echo "wenji: setting up (first run or changed requirements) ..."

# Qt's offscreen/xcb platforms and the screenshot tooling need a few system libraries.
missing=()
while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done < scripts/system-packages.txt
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "wenji: installing system packages: ${missing[*]}"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "wenji: warning: missing system packages (install them for the GUI): ${missing[*]}" >&2
    fi
fi

[[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -q)
# Exactly the versions in requirements.lock (made by scripts/lock.sh).  The constraint also
# reaches the isolated build environments (llama-cpp-python's scikit-build-core, ...).
export PIP_CONSTRAINT="$PWD/scripts/build-constraints.txt"
# torch first: its pin takes the CPU build on this machine's disk; anything that asks for
# "torch" afterwards is satisfied instead of pulling a multi-gigabyte CUDA build.
"${PIP[@]}" "$(grep -E '^torch==' requirements.lock | cut -d' ' -f1)"
# llama-cpp-python compiles llama.cpp (about 4 minutes on 2 cores).  Not for this CPU only
# (-march=native): virtual machines may announce instructions their host does not let them
# run (AMX tiles here: SIGILL in the first matrix product), and a build must also run where
# the venv is copied to.  AVX2/FMA/F16C is what every x86-64 machine of the last ten years
# has.  CMAKE_ARGS from the environment come last and win, e.g. CMAKE_ARGS="-DGGML_CUDA=on".
LLAMA_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
LLAMA_ARGS="-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF $LLAMA_ARGS"
[[ "$(uname -m)" == x86_64 ]] || LLAMA_ARGS=""
export CMAKE_ARGS="$LLAMA_ARGS ${CMAKE_ARGS:-}"
llama_pin=$(grep -E '^llama-cpp-python==' requirements.lock | cut -d' ' -f1)
llama_mark="$VENV/.wenji-llama-build"
if [[ "$(cat "$llama_mark" 2>/dev/null)" != "$llama_pin $CMAKE_ARGS" ]]; then
    # pip's wheel cache does not know build flags: build this one afresh
    "${PIP[@]}" --force-reinstall --no-deps --no-cache-dir "$llama_pin"
    echo "$llama_pin $CMAKE_ARGS" > "$llama_mark"
fi
"${PIP[@]}" -r requirements.lock
# Wenji itself, editable; its dependencies are all in the lock already.
"${PIP[@]}" --no-deps --no-build-isolation -e .
"$VENV/bin/python" -m pip check --disable-pip-version-check -q >/dev/null || {
    echo "wenji: installed packages disagree with each other (pip check):" >&2
    "$VENV/bin/python" -m pip check >&2 || true
    exit 1
}
echo "$want" > "$STAMP"
echo "wenji: setup done"
