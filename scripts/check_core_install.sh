#!/usr/bin/env bash
# The core install alone, in a fresh virtualenv: no torch, transformers, pyserini, jnius or openai,
# and `eval --run --qrels`, `compare` and `leaderboard` work there; a ranking command names the
# extra it needs in one line. Run by .ci/run; takes about a minute (pip's cache makes it faster).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
PYTHON="${PYTHON:-python3}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PYTHON" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --upgrade pip
# a copy of the checkout (tracked and new files, as git sees them): building a wheel in the clone would leave build/ and egg-info there
git ls-files -z --cached --others --exclude-standard | (cd "$repo" && xargs -0 tar -cf -) | (mkdir "$work/src" && cd "$work/src" && tar -xf -)
"$work/venv/bin/python" -m pip install --quiet "$work/src"
"$work/venv/bin/python" - <<'PY'
import importlib.util, sys
present = [name for name in ("torch", "transformers", "pyserini", "jnius", "openai", "sentence_transformers") if importlib.util.find_spec(name)]
sys.exit(f"the core install brought {present}") if present else print("core install: none of torch, transformers, pyserini, jnius, openai")
PY
cd "$work"  # not the clone: the installed package must answer
harness="$work/venv/bin/harness"
printf 'q1 Q0 d1 1 3.0 run\nq1 Q0 d2 2 2.0 run\nq1 Q0 d3 3 1.0 run\nq2 Q0 d3 1 5.0 run\nq2 Q0 d1 2 4.0 run\n' > run.trec
printf 'q1 0 d2 1\nq1 0 d9 1\nq2 0 d3 2\n' > qrels.txt
"$harness" eval --run run.trec --qrels qrels.txt --measures AP,nDCG@10 --format json > eval.json
"$work/venv/bin/python" -c "
import json; found = json.load(open('eval.json'))['aggregate']
assert abs(found['AP'] - 0.625) < 1e-12, found  # q1: 1/2 of 2 relevant -> 0.25; q2: 1.0
print('eval --run --qrels:', found)"
"$harness" compare "$repo/submissions/bm25" "$repo/submissions/bm25-k1_1.2-b_0.75" --quiet > compare.md
grep -q "xquad-r MoIR mean" compare.md && echo "compare: $(wc -c < compare.md) bytes of tables"
"$harness" leaderboard --submissions "$repo/submissions" --out site --quiet
test -s site/index.html && echo "leaderboard: $(ls site | wc -l) entries in the site folder"
if [ ! -d "$repo/../shared/data/lareqa" ]; then
    echo "eval --model bm25 without the extra: not tried (no ../shared/data to rank)"
    exit 0
fi
set +e
"$harness" eval --model bm25 --dataset xquad-r/de-en --data-dir "$repo/../shared/data" 2> refused.txt
status=$?
set -e
[ "$status" -eq 2 ] && grep -q "pip install 'harness\[bm25\]'" refused.txt && [ "$(wc -l < refused.txt)" -eq 1 ] \
    || { echo "eval --model bm25 without the extra: status $status, said: $(cat refused.txt)"; exit 1; }
echo "eval --model bm25 without the extra: $(cat refused.txt)"
