#!/usr/bin/env bash
# Installs the harness into ./.venv (idempotent): the CPU build of torch first, so that no
# dependency pulls the multi-GB CUDA build, then the package with all its extras and the tests'.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[all,test]"
# BM25 needs Java 21+; say now, not at the first search, when there is none.
.venv/bin/python -c "from harness.models.java import find_java; print('java:', find_java())" \
    || echo "warning: no Java 21+ found; BM25 will not run (set JAVA_HOME to a JDK 21 or newer)" >&2
echo "harness installed in .venv (run: .venv/bin/harness --help)"
