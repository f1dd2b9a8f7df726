#!/usr/bin/env bash
# Presidio against `vow redact` on the same generated data, in one run, on this machine.
#
#   bench/presidio/run.sh            # 200 MB speed corpus, 0.25 MB accuracy sample
#   MB=50 SAMPLE_MB=0.1 bench/presidio/run.sh
#
# Presidio (presidio-analyzer from PyPI) runs in a throwaway virtual environment under /tmp with its
# Korean recognizers added and a blank spaCy pipeline (no NER model: only its pattern recognizers, which
# is also what makes it as fast as it can be). It runs on the small sample only; its throughput on the
# large file is extrapolated from the sample, and the report says so. ripgrep counts resident-number
# shapes over the large file as the floor of what a single pass over the bytes costs.
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="${VENV:-/tmp/presidio-venv}"
WORK="${WORK:-/tmp/vow-pii-bench}"
MB="${MB:-200}"
SAMPLE_MB="${SAMPLE_MB:-0.25}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import presidio_analyzer" 2>/dev/null; then
  echo "== creating $VENV with presidio-analyzer"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q presidio-analyzer
fi
command -v rg >/dev/null || { echo "ripgrep is missing: apt-get install -y ripgrep"; exit 1; }

echo "== building vow and the corpus generator (release)"
cargo build -q --release -p vow
cargo build -q --release -p vow-pii --example eval
mkdir -p "$WORK"
EVAL="$CARGO_TARGET_DIR/release/examples/eval"
[ -s "$WORK/big.txt" ] || "$EVAL" --seed 42 --write "$WORK/big.txt" --mb "$MB"
"$EVAL" --seed 99 --write "$WORK/sample.txt" --mb "$SAMPLE_MB" --truth "$WORK/sample.truth.jsonl"

"$VENV/bin/python" bench/presidio/bench.py \
  --vow "$CARGO_TARGET_DIR/release/vow" \
  --big "$WORK/big.txt" \
  --sample "$WORK/sample.txt" \
  --truth "$WORK/sample.truth.jsonl" \
  --work "$WORK"
