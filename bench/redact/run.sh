#!/usr/bin/env bash
# `vow redact` (every kind, mask, file written) against ripgrep's `rg -c '[0-9]{6}-[0-9]{7}'` on one
# file, the builds given alternating with ripgrep, N rounds; prints each one's best and median wall
# time. This VM's runs of one build differ by up to 25%, so compare builds in one sitting, alternated.
#
#   bash bench/redact/run.sh FILE [ROUNDS] VOW_BIN [VOW_BIN ...]
#
# The prose file: `python3 crates/vow-pii/eval/prose_corpus.py /tmp/prose.txt 100` (its docstring says
# what to install); the dense one: `cargo run --release -p vow-pii --example eval -- --write
# /tmp/dense.txt --mb 100`. Results go to docs/benchmarks.md with the machine and the date.
set -euo pipefail
file=${1:?usage: run.sh FILE [ROUNDS] [VOW_BIN ...]}
shift
rounds=${1:-10}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- target/release/vow
command -v rg >/dev/null || { echo "ripgrep is needed (apt-get install ripgrep)"; exit 1; }
out=$(mktemp)
times=$(mktemp)
trap 'rm -f "$out" "$times" "$times.one"' EXIT
for _ in $(seq "$rounds"); do
  /usr/bin/time -o "$times.one" -f "%e" rg -c '[0-9]{6}-[0-9]{7}' "$file" >/dev/null || true
  echo "rg $(tail -n1 "$times.one")" >>"$times"
  for bin in "$@"; do
    /usr/bin/time -o "$times.one" -f "%e" "$bin" redact "$file" -o "$out" >/dev/null 2>&1
    echo "$bin $(tail -n1 "$times.one")" >>"$times"
  done
done
for who in rg "$@"; do
  awk -v who="$who" '$1 == who { print $2 }' "$times" | sort -n | awk -v who="$who" \
    '{ t[NR] = $1 } END { printf "%s: best %.2f s, median %.2f s (%d runs)\n", who, t[1], t[int((NR + 1) / 2)], NR }'
done
