#!/usr/bin/env bash
# Several `vow serve` on one PostgreSQL, writing at once: how write capacity grows with servers now
# that each server's committer extends a chain of the access log of its own (before, every batch
# took `LOCK TABLE audit_log IN EXCLUSIVE MODE` to extend the one chain).
# For 1, 2 and 4 servers: logged, encrypted PUTs from wrk (16 connections per server), total
# requests/s and the worst p99; PostgreSQL's commits/s over the run (each server's committer commits
# one batch per transaction); and wait events sampled from pg_stat_activity every 100 ms (how often a
# vow backend waited on a lock, and which). Then `vow audit verify` over the merged history, with
# every server's checkpoint file. Prints Markdown for docs/benchmarks.md.
# Needs wrk, curl, psql and a PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
# SECONDS_PER_RUN (default 8), PORT (first port, default 18580), VOW_BIN (default a release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in wrk curl psql; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done
DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-8}"
PORT="${PORT:-18580}"
SCHEMA="bench_multi_$$"
if [ -z "${VOW_BIN:-}" ]; then
  cargo build --release -q -p vow
  VOW_BIN=target/release/vow
fi
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$DATABASE_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE; DROP SCHEMA IF EXISTS ${SCHEMA}_keys CASCADE" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

start() { # start N: a server on PORT+N-1
  local port=$((PORT + $1 - 1))
  "$VOW_BIN" serve --policy examples/policies/imagesfactory.toml --database-url "$DATABASE_URL" \
    --schema "$SCHEMA" --key-file "$WORK/vow.keys" --checkpoints "$WORK/cp-$1.jsonl" \
    --listen "127.0.0.1:$port" >"$WORK/out-$1" 2>"$WORK/err-$1" &
  PIDS+=($!)
  for _ in $(seq 1 200); do grep -q "vow is serving" "$WORK/out-$1" 2>/dev/null && return; sleep 0.1; done
  echo "server $1 did not start:" >&2; cat "$WORK/out-$1" "$WORK/err-$1" >&2; exit 1
}

start 1
BASE="http://127.0.0.1:$PORT"
ADMIN="$(grep -o 'vow_[A-Za-z0-9_-]*' "$WORK/out-1" | head -n1)"
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
SERVICE="$(curl -sf -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
  -X POST "$BASE/v1/keys" -d '{"role": "service"}' | json_field secret)"
auth=(-H "Authorization: Bearer $SERVICE" -H 'content-type: application/json')
: >"$WORK/ids"
for n in $(seq 1 200); do
  id="$(curl -sf "${auth[@]}" -X POST "$BASE/v1/subjects" \
    -d "{\"external_id\": \"bench-$n\", \"kind\": \"member\"}" | json_field id)"
  echo "$id" >>"$WORK/ids"
done
for n in 2 3 4; do start "$n"; done

cat >"$WORK/put.lua" <<LUA
local ids = {}
for line in io.lines("$WORK/ids") do ids[#ids + 1] = line end
local n = math.random(1, #ids)
wrk.headers["Authorization"] = "Bearer $SERVICE"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  return wrk.format("PUT", "/v1/subjects/" .. ids[(n % #ids) + 1] .. "/items/user.contact.phone",
    nil, '{"value": "010-9876-5432"}')
end
LUA

commits() { psql -tA "$DATABASE_URL" -c "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"; }
sample_waits() { # every 100 ms until killed: one line per active vow backend, its wait event, and
  # for a lock wait the statement that waits (which table: the log, or an item another server writes)
  while true; do
    psql -tA "$DATABASE_URL" -c "SELECT coalesce(wait_event_type, 'CPU') || ':' || coalesce(wait_event, '-')
      || CASE WHEN wait_event_type = 'Lock' THEN ' ' || left(regexp_replace(query, '\s+', '_', 'g'), 32) ELSE '' END
      FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid()
      AND backend_type = 'client backend' AND query NOT LIKE '%pg_stat_activity%'" >>"$1" 2>/dev/null || true
    sleep 0.1
  done
}

echo "| servers | PUT requests/s (total) | worst p99 ms | PostgreSQL commits/s | writes per commit | samples waiting on a lock | top wait events | statements waiting on a lock |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"
for servers in 1 2 4; do
  : >"$WORK/waits"
  sample_waits "$WORK/waits" &
  SAMPLER=$!
  before="$(commits)"
  LOADS=()
  for s in $(seq 1 "$servers"); do
    wrk -t1 -c16 -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/put.lua" "http://127.0.0.1:$((PORT + s - 1))" >"$WORK/wrk-$s" &
    LOADS+=($!)
  done
  wait "${LOADS[@]}"
  after="$(commits)"
  kill "$SAMPLER" 2>/dev/null || true
  wait "$SAMPLER" 2>/dev/null || true
  total=0; worst=0
  for s in $(seq 1 "$servers"); do
    rps="$(awk '/^Requests\/sec:/ {print $2}' "$WORK/wrk-$s")"
    p99="$(awk '/^ +99%/ { v = $2; if (v ~ /us$/) v = v / 1000; else if (v ~ /ms$/) v = v + 0; else if (v ~ /s$/) v = v * 1000; print v }' "$WORK/wrk-$s")"
    total="$(awk -v a="$total" -v b="$rps" 'BEGIN { printf "%.0f", a + b }')"
    worst="$(awk -v a="$worst" -v b="$p99" 'BEGIN { printf "%.2f", (b > a ? b : a) }')"
  done
  per_second="$(awk -v a="$before" -v b="$after" -v s="$SECONDS_PER_RUN" 'BEGIN { printf "%.0f", (b - a) / s }')"
  per_commit="$(awk -v t="$total" -v c="$per_second" 'BEGIN { if (c > 0) printf "%.1f", t / c; else print "-" }')"
  samples="$(wc -l <"$WORK/waits")"
  locked="$(grep -c '^Lock:' "$WORK/waits" || true)"
  top="$(cut -d' ' -f1 "$WORK/waits" | sort | uniq -c | sort -rn | head -n 3 | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')"
  waited="$({ grep '^Lock:' "$WORK/waits" || true; } | cut -d' ' -f2 | sort | uniq -c | sort -rn | head -n 2 | awk '{printf "%s`%s` %s", (NR > 1 ? ", " : ""), $2, $1}')"
  echo "| $servers | $total | $worst | $per_second | $per_commit | $locked of $samples | $top | ${waited:--} |"
done

# The merged history of every server, proved against every server's checkpoints.
copies=()
for s in 2 3 4; do copies+=(--checkpoint-copy "$WORK/cp-$s.jsonl"); done
echo
echo "vow audit verify over the merged log:"
"$VOW_BIN" audit verify --policy examples/policies/imagesfactory.toml --database-url "$DATABASE_URL" \
  --schema "$SCHEMA" --key-file "$WORK/vow.keys" --checkpoints "$WORK/cp-1.jsonl" "${copies[@]}"
