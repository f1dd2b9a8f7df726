#!/usr/bin/env bash
# The vault's HTTP figures measured from outside: `vow serve` (release build, SQLite, --sync full) on
# loopback, loaded by wrk at concurrency 16. Prints a Markdown table for docs/benchmarks.md:
#   reads   GET  /v1/subjects/{id}/items/user.contact.phone  (200 subjects, round robin)
#   writes  PUT  the same items
#   masked reads  GET …/items/user.content.inquiry with a support key: the `text` mask runs vow-pii's
#           scanner over a 160-byte inquiry holding a phone number and an e-mail address
#   reads while 16 password checks run: the GET load again, beside a second wrk that keeps 16
#           POST …/items/user.credential.password/verify in flight (Argon2id each)
# /healthz is measured first, as the ceiling of the same server. PERF_OUT=FILE records a perf profile
# of the server during the reads.
# Needs wrk (Debian: apt-get install wrk) and curl. SECONDS_PER_RUN (default 10), PORT (default 18480);
# VOW_BIN=path/to/vow measures another build (an older release, for a side-by-side run), with
# POLICY=its own copy of the imagesfactory example when the file format has grown since.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
SECONDS_PER_RUN="${SECONDS_PER_RUN:-10}"
PORT="${PORT:-18480}"
BASE="http://127.0.0.1:$PORT"

if [ -z "${VOW_BIN:-}" ]; then
  cargo build --release -q -p vow
  VOW_BIN=target/release/vow
fi
WORK="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$VOW_BIN" serve --policy "${POLICY:-examples/policies/imagesfactory.toml}" --data "$WORK/data" \
  --listen "127.0.0.1:$PORT" >"$WORK/out" 2>"$WORK/err" &
PID=$!
for _ in $(seq 1 100); do grep -q "vow is serving" "$WORK/out" 2>/dev/null && break; sleep 0.1; done
ADMIN="$(grep -o 'vow_[A-Za-z0-9_-]*' "$WORK/out" | head -n1)"
[ -n "$ADMIN" ] || { echo "no admin key printed:" >&2; cat "$WORK/out" "$WORK/err" >&2; exit 1; }
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
SERVICE="$(curl -sf -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
  -X POST "$BASE/v1/keys" -d '{"role": "service"}' | json_field secret)"
SUPPORT="$(curl -sf -H "Authorization: Bearer $ADMIN" -H 'content-type: application/json' \
  -X POST "$BASE/v1/keys" -d '{"role": "support"}' | json_field secret)"
auth=(-H "Authorization: Bearer $SERVICE" -H 'content-type: application/json')
: >"$WORK/ids"
for n in $(seq 1 200); do
  id="$(curl -sf "${auth[@]}" -X POST "$BASE/v1/subjects" \
    -d "{\"external_id\": \"bench-$n\", \"kind\": \"member\"}" | json_field id)"
  curl -sf "${auth[@]}" -X PUT "$BASE/v1/subjects/$id/items/user.contact.phone" \
    -d "{\"value\": \"010-1234-$(printf %04d "$n")\"}" >/dev/null
  curl -sf "${auth[@]}" -X PUT "$BASE/v1/subjects/$id/items/user.content.inquiry" \
    -d "{\"value\": \"안녕하세요, 환불 문의드립니다. 연락처 010-5555-$(printf %04d "$n"), 메일 minji.kim$n@example.com 으로 답장 부탁드립니다. 주문 3건입니다.\"}" >/dev/null
  echo "$id" >>"$WORK/ids"
done
FIRST="$(head -n1 "$WORK/ids")"
curl -sf "${auth[@]}" -X PUT "$BASE/v1/subjects/$FIRST/items/user.credential.password" \
  -d '{"value": "correct horse battery staple"}' >/dev/null

cat >"$WORK/items.lua" <<LUA
local ids = {}
for line in io.lines("$WORK/ids") do ids[#ids + 1] = line end
local n = 0
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("VOW_KEY") or "$SERVICE")
wrk.headers["Content-Type"] = "application/json"
local category = os.getenv("VOW_CATEGORY") or "user.contact.phone"
request = function()
  n = n + 1
  local path = "/v1/subjects/" .. ids[(n % #ids) + 1] .. "/items/" .. category
  if os.getenv("VOW_WRITE") then
    return wrk.format("PUT", path, nil, '{"value": "010-9876-5432"}')
  end
  return wrk.format("GET", path)
end
LUA
cat >"$WORK/verify.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $SERVICE"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"value": "a wrong guess"}'
LUA

# One wrk run → "requests/s | p50 ms | p99 ms"
row() {
  awk '
    /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 } /^Requests\/sec:/ { rps = $2 }
    /Non-2xx/ { bad = $NF }
    function ms(v) { if (v ~ /us$/) return sprintf("%.2f", v / 1000); if (v ~ /ms$/) return sprintf("%.2f", v + 0);
                     if (v ~ /s$/) return sprintf("%.0f", v * 1000); return v }
    END { printf "%s | %s | %s%s", sprintf("%\047d", rps), ms(p50), ms(p99), (bad ? " | " bad " non-2xx" : "") }'
}
load() { wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/items.lua" "$BASE" | row; }

echo "| load (SQLite, concurrency 16, wrk) | requests/s | p50 ms | p99 ms |"
echo "| --- | --- | --- | --- |"
echo "| /healthz (no key, no store) | $(wrk -t2 -c16 -d"${SECONDS_PER_RUN}s" --latency "$BASE/healthz" | row) |"
if [ -n "${PERF_OUT:-}" ]; then
  # A profile of the server while it answers logged reads (perf report -i "$PERF_OUT").
  perf record -F 999 -g -o "$PERF_OUT" -p "$PID" -- sleep "$SECONDS_PER_RUN" >/dev/null 2>&1 &
  PERF=$!
fi
echo "| reads | $(load) |"
[ -n "${PERF:-}" ] && wait "$PERF"
echo "| writes | $(VOW_WRITE=1 load) |"
echo "| masked reads (support, text mask) | $(VOW_KEY="$SUPPORT" VOW_CATEGORY=user.content.inquiry load) |"
wrk -t1 -c16 -d"$((SECONDS_PER_RUN + 2))s" --latency -s "$WORK/verify.lua" \
  "$BASE/v1/subjects/$FIRST/items/user.credential.password/verify" >"$WORK/verify.out" &
VERIFY=$!
sleep 1
echo "| reads while 16 password checks run | $(load) |"
wait "$VERIFY"
echo "| the password checks themselves | $(row <"$WORK/verify.out") |"
