#!/usr/bin/env bash
# Lint as the anchors do: ruff over the code (rules in pyproject.toml) and mypy over the public API.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check harness tests benchmarks scripts
.venv/bin/mypy
