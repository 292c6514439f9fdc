#!/usr/bin/env bash
# Prints wasmload's performance figures beside oha's, measured in the same run:
#   1. the median time to instantiate one virtual user, alone and with a library linked in
#   2. resident memory per idle user: (RSS at 10,000 - RSS at 1,000 sleeping users) / 9,000,
#      what an open keep-alive connection adds to it, what a linked library adds to it, the
#      cost of one call into a library, and how many users one process holds
#   3. requests/s and generator CPU-seconds per 100k requests, 50 users with no wait running a
#      one-request scenario against nginx (one worker, a small JSON body), with the generator
#      and nginx pinned to different cores
#   4. the accuracy of the arrival-rate scheduler at 10,000 iterations/s: achieved / requested
#      rate, and the p99 lateness of iteration starts
#   5. the cost of the per-user budgets (epoch interruption and memory limits): requests/s
#      with them on and off, alternating for ROUNDS rounds
#   6. 100,000 idle users in the worker processes wasmload picks: time to start them all, and
#      the resident memory of every wasmload process together
#   7. one coordinator under 1,000 simulated shards: its CPU per wall second and its memory
#   8. per language (Rust, Python, JavaScript): component size, first and cached start, instantiation
#      per user, resident memory per idle and per active user, CPU per request (bench/languages.sh)
#   9. section 3's load with 200 and 1,000 users beside oha with as many connections
# Usage: bash bench/run.sh   (ROUNDS=5 throughput rounds and BUDGET_ROUNDS=9 budget rounds of
#                             DURATION=10 seconds by default; SECTIONS="3 4" runs only those;
#                             all traffic stays on 127.0.0.1)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
# Whether section $1 runs: all of them, or those SECTIONS lists (SECTIONS="3 4").
wants() { [ -z "${SECTIONS:-}" ] || [[ " $SECTIONS " == *" $1 "* ]]; }
command -v oha >/dev/null || cargo install oha --locked

# --- 1. instantiation --------------------------------------------------------------------
if wants 1; then
echo "== instantiation"
cargo bench -q -p wasmload --bench instantiate -- "$GUESTS/one_request.wasm" 2000 | tee "$OUT/instantiate.txt"
# A scenario of the same size with a library linked in: what the library adds to each user.
cargo bench -q -p wasmload --bench instantiate -- "$GUESTS/uses_auth.wasm" 2000 "$GUESTS/auth_library.wasm" \
  | tee -a "$OUT/instantiate.txt"

fi

# --- 2. memory per idle user ----------------------------------------------------------------
if wants 2; then
memory_with_users() {  # memory_with_users USERS CONNECT [GUEST FLAGS...]: "RSS PSS" in KiB of USERS sleeping users
  local users=$1 connect=$2 guest=${3:-idle_user}
  shift $(( $# < 3 ? $# : 3 ))
  memory_of_users "$GUESTS/$guest.wasm" "$users" "$OUT/idle-$users-$connect-$guest.log" --env "CONNECT=$connect" "$@"
}
# Prints a per-user "RSS PSS": "WHAT: RSS KiB TARGET (PART: its RSS over the idle user's
# IDLE); PSS ...".
per_user_line() {  # per_user_line WHAT "RSS PSS" [TARGET] [IDLE PART]
  awk -v what="$1" -v m="$2" -v target="$3" -v idle="${4:-}" -v part="${5:-}" 'BEGIN {
    split(m, x, " "); printf "%s: %.1f KiB%s", what, x[1], target
    if (idle != "") { split(idle, i, " "); printf " (%s: %.1f KiB)", part, x[1] - i[1] }
    printf "; PSS, the pages users share counted once: %.1f KiB\n", x[2] }'
}
echo "== memory per idle user"
MEM_1K=$(memory_with_users 1000 0)
MEM_10K=$(memory_with_users 10000 0)
echo "RSS and PSS with 1,000 idle users: ${MEM_1K} KiB; with 10,000: ${MEM_10K} KiB" | tee "$OUT/memory.txt"
IDLE=$(per_user_memory "$MEM_1K" "$MEM_10K" 1000 10000)
per_user_line "resident memory per idle user" "$IDLE" " (target <= 48 KiB)" | tee -a "$OUT/memory.txt"
# The same users, each holding the keep-alive connection of one request.
CONN_1K=$(memory_with_users 1000 1)
CONN_5K=$(memory_with_users 5000 1)
CONN=$(per_user_memory "$CONN_1K" "$CONN_5K" 1000 5000)
per_user_line "resident memory per idle user with an open connection" "$CONN" "" "$IDLE" "the connection" \
  | tee -a "$OUT/memory.txt"
# The same idle users with a library linked in (library_calls + echo_library), each having
# called it once: what the library's own instance and memory add to every user.
LIB=(--lib "$GUESTS/echo_library.wasm")
LIB_1K=$(memory_with_users 1000 0 library_calls "${LIB[@]}")
LIB_5K=$(memory_with_users 5000 0 library_calls "${LIB[@]}")   # 9 mappings a user: not 10,000
per_user_line "resident memory per idle user with a library linked in" \
  "$(per_user_memory "$LIB_1K" "$LIB_5K" 1000 5000)" "" "$IDLE" "the library" | tee -a "$OUT/memory.txt"
# One call into a library: one user's task calls it CALLS times; the run's wall time with
# and without the calls, apart, over the calls (median of three pairs).
CALLS=20000000
wall_of_calls() {
  local TIMEFORMAT='%R'
  { time "$WASMLOAD" run "$GUESTS/library_calls.wasm" "${LIB[@]}" --host "http://127.0.0.1:$PORT" \
      --users 1 --iterations 1 --env "CALLS=$1" --log-level warn >/dev/null 2>&1; } 2>&1
}
for _ in 1 2 3; do
  awk -v with="$(wall_of_calls "$CALLS")" -v without="$(wall_of_calls 0)" -v n="$CALLS" \
    'BEGIN { print (with - without) / n * 1e9 }'
done | median | awk '{ printf "one call from a scenario into a library (a short string in, a u32 out): %.0f ns\n", $1 }' \
  | tee -a "$OUT/memory.txt"
# How many users one process can hold: asking for far more names the ceiling.
{ "$WASMLOAD" run "$GUESTS/idle_user.wasm" --host "http://127.0.0.1:$PORT" --users 1000000 \
    --connections shared --run-time 1s --processes 1 2>&1 || true; } | grep -oE 'can hold about [0-9]+ users' \
  | head -1 | sed 's/^/one process /' | tee -a "$OUT/memory.txt"

fi

# --- 3. throughput against nginx, generator on core 0 --------------------------------------
if wants 3; then
# The machine is shared and single runs swing by a third, so oha and wasmload alternate for
# ROUNDS rounds and the medians are compared.
echo "== throughput, 50 users, ${ROUNDS} rounds of ${DURATION}s each"
# A generator that sends less often pays more per request in the kernel (each write must wake
# a server that has gone to sleep), so each round also runs oha paced (-q) at the rate
# wasmload reached: the same work at the same rate, the cost of the generator's own code.
: >"$OUT/rounds.txt"
for round in $(seq "$ROUNDS"); do
  OHA_CPU=$(oha_load 50)
  OHA_RPS=$(last_oha_rps)
  WL_CPU=$(one_request_load "$WASMLOAD" 50)
  WL_REQS=$(last_requests)
  WL_SECS=$(last_seconds)
  PACE=$(awk -v reqs="$WL_REQS" -v secs="$WL_SECS" 'BEGIN { printf "%d", reqs / secs }')
  PACED_CPU=$(oha_load 50 -q "$PACE")
  PACED_RPS=$(last_oha_rps)
  # round, oha req/s, oha CPU-s/100k, wasmload req/s, wasmload CPU-s/100k, wasmload % of oha,
  # wasmload's CPU per request over oha's, paced oha's CPU-s/100k, wasmload's over paced oha's
  awk -v r="$round" -v orps="$OHA_RPS" -v ocpu="$OHA_CPU" -v secs="$DURATION" \
    -v reqs="$WL_REQS" -v wcpu="$WL_CPU" -v wsecs="$WL_SECS" -v prps="$PACED_RPS" -v pcpu="$PACED_CPU" 'BEGIN {
    wrps = reqs / wsecs; o = ocpu / (orps * secs) * 100000; w = wcpu / reqs * 100000
    p = pcpu / (prps * secs) * 100000
    printf "%d %.0f %.2f %.0f %.2f %.0f %.2f %.2f %.2f\n", r, orps, o, wrps, w, wrps / orps * 100, w / o, p, w / p }' \
    | tee -a "$OUT/rounds.txt" \
    | awk '{ printf "round %d: oha %6d req/s, %.2f CPU-s/100k | wasmload %6d req/s, %.2f CPU-s/100k (%d%% of oha, %.2fx its CPU per request) | oha paced to that rate %.2f CPU-s/100k (wasmload %.2fx)\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
done
column_median() { awk -v c="$1" '{ print $c }' "$OUT/rounds.txt" | median; }
{
  printf "median over %d rounds:\n" "$ROUNDS"
  printf "oha:      %9.0f req/s, %.2f CPU-s per 100k requests\n" "$(column_median 2)" "$(column_median 3)"
  printf "wasmload: %9.0f req/s, %.2f CPU-s per 100k requests (%.0f%% of oha, median of rounds)\n" \
    "$(column_median 4)" "$(column_median 5)" "$(column_median 6)"
  printf "wasmload's CPU per request over oha's, median of the rounds: %.2fx (target <= 1.25x)\n" \
    "$(column_median 7)"
  printf "the same over oha paced to wasmload's rate (%.2f CPU-s per 100k), median of the rounds: %.2fx\n" \
    "$(column_median 8)" "$(column_median 9)"
} | tee "$OUT/throughput.txt"

fi

# --- 4. arrival-rate accuracy at 10,000 iterations/s -------------------------------------------
if wants 4; then
# Targets on this machine: the achieved rate within 1% of the requested one, and iterations
# starting at most 5 ms late at p99 (the async runtime's timers tick every millisecond).
RATE=10000
echo "== arrival-rate accuracy, ${RATE} iterations/s for ${DURATION}s"
taskset -c 0 "$WASMLOAD" run "$GUESTS/one_request.wasm" --host "http://127.0.0.1:$PORT" \
  --rate "${RATE}/s" --run-time "${DURATION}s" --max-users 1000 --log-level warn \
  --json "$OUT/arrival.json" >"$OUT/arrival.out"
STARTED=$(grep -oE '[0-9]+ iterations started' "$OUT/arrival.out" | grep -oE '^[0-9]+')
DROPPED=$(grep -oE '[0-9]+ dropped' "$OUT/arrival.out" | grep -oE '^[0-9]+')
P99=$(sed -nE 's/^iteration start lateness.* p99 ([0-9.]+),.*/\1/p' "$OUT/arrival.out")
awk -v started="$STARTED" -v dropped="$DROPPED" -v p99="$P99" -v rate="$RATE" -v secs="$DURATION" 'BEGIN {
  achieved = started / secs
  printf "requested %d/s, achieved %.0f/s (%.2f%% of requested; target 99-101%%), %d dropped\n", rate, achieved, achieved / rate * 100, dropped
  printf "iteration start lateness p99: %.2f ms (target <= 5 ms)\n", p99 }' | tee "$OUT/arrival-rate.txt"
# The first second, while users open their connections, apart from the seconds after it.
python3 - "$OUT/arrival.json" "$RATE" <<'PY' | tee -a "$OUT/arrival-rate.txt"
import json, sys
seconds = [p["requests"] for p in json.load(open(sys.argv[1]))["timeline"]]
rate, rest = int(sys.argv[2]), seconds[1:-1] or seconds
print(f"requests in the first second: {seconds[0]}; in each full second after it: "
      f"{min(rest)}-{max(rest)} ({sum(rest) / len(rest) / rate * 100:.2f}% of requested)")
PY

fi

# --- 5. the cost of the budgets on the normal path ----------------------------------------------
if wants 5; then
# Target: with the budgets on, at most 3% fewer requests/s than with them off (--no-budgets).
BUDGET_ROUNDS=${BUDGET_ROUNDS:-9}
echo "== budget overhead, 50 users, ${BUDGET_ROUNDS} rounds of ${DURATION}s each way"
rps_of() {
  taskset -c 0 "$WASMLOAD" run "$GUESTS/one_request.wasm" --host "http://127.0.0.1:$PORT" \
    --users 50 --run-time "${DURATION}s" --log-level warn "$@" >"$OUT/last.out" 2>/dev/null || true
  local reqs secs
  reqs=$(last_requests)
  secs=$(last_seconds)
  awk -v r="$reqs" -v s="$secs" 'BEGIN { printf "%.0f\n", r / s }'
}
: >"$OUT/budgets.txt"
for round in $(seq "$BUDGET_ROUNDS"); do
  ON=$(rps_of)
  OFF=$(rps_of --no-budgets)
  echo "$round $ON $OFF" | tee -a "$OUT/budgets.txt" \
    | awk '{ printf "round %d: budgets on %d req/s, off %d req/s (%.1f%%)\n", $1, $2, $3, ($3 - $2) / $3 * 100 }'
done
# Each round pairs the two runs back to back, so the median of the per-round overheads is
# what the machine's swings disturb least.
OVERHEAD=$(awk '{ print ($3 - $2) / $3 * 100 }' "$OUT/budgets.txt" | median)
awk -v on="$(awk '{ print $2 }' "$OUT/budgets.txt" | median)" \
  -v off="$(awk '{ print $3 }' "$OUT/budgets.txt" | median)" -v overhead="$OVERHEAD" 'BEGIN {
  printf "budget overhead: median of the rounds %.1f%% (medians: %.0f req/s on, %.0f off; target <= 3%%)\n", overhead, on, off }' \
  | tee "$OUT/budget-overhead.txt"

fi

# --- 6. 100,000 idle users in local worker processes ----------------------------------------
if wants 6; then
# More users than one process holds: wasmload picks the worker processes itself. Printed: the
# time from the command to every user running (read from the coordinator's Prometheus
# gauge), and the resident memory of all wasmload processes together then.
SCALE_USERS=${SCALE_USERS:-100000}
echo "== ${SCALE_USERS} idle users in worker processes"
SCALE_LOG="$OUT/scale.log"
SCALE_START=$(date +%s.%N)
"$WASMLOAD" run "$GUESTS/idle_user.wasm" --host "http://127.0.0.1:$PORT" --users "$SCALE_USERS" \
  --spawn-rate 20000 --prometheus "127.0.0.1:$((PORT + 2))" --stop-timeout 1s -q >"$OUT/scale.out" 2>"$SCALE_LOG" &
SCALE_PID=$!
SCALE_RUNNING=0
for _ in $(seq 1500); do
  SCALE_RUNNING=$(curl -s "127.0.0.1:$((PORT + 2))/metrics" | awk '/^wasmload_users / { print $2 }')
  [ "${SCALE_RUNNING:-0}" = "$SCALE_USERS" ] && break
  sleep 0.2
done
SCALE_SECONDS=$(awk -v from="$SCALE_START" -v to="$(date +%s.%N)" 'BEGIN { print to - from }')
SCALE_RSS=$(ps -eo rss=,args= | awk -v exe="$WASMLOAD" '$2 == exe { kib += $1 } END { print kib }')
kill -INT "$SCALE_PID"; wait "$SCALE_PID" || true
{
  grep -oE 'running [0-9]+ worker processes' "$SCALE_LOG" | head -1
  awk -v users="$SCALE_RUNNING" -v want="$SCALE_USERS" -v secs="$SCALE_SECONDS" -v kib="$SCALE_RSS" 'BEGIN {
    printf "%d of %d idle users running %.1f s after the command; all wasmload processes resident: %.0f MiB (%.1f KiB a user)\n",
      users, want, secs, kib / 1024, kib / users }'
} | tee "$OUT/scale.txt"

fi

# --- 7. one coordinator under 1,000 shards ---------------------------------------------------
if wants 7; then
# 1,000 simulated shards post a second each per wall second (10 rows, 200 requests a second
# each, histograms exact) to one `wasmload coordinate`; printed: its CPU per wall second
# (target < 100 ms) and its resident memory over the run (target: flat).
echo "== one coordinator, 1,000 shards"
cargo bench -q -p wasmload --bench coordinator_load --no-run 2>/dev/null
COORD_PORT=$((PORT + 3))
export WASMLOAD_RUN_SECRET=bench-coordinator
"$WASMLOAD" coordinate --shards 1000 --listen "127.0.0.1:$COORD_PORT" --shard-timeout 300s -q \
  >/dev/null 2>"$OUT/coordinator.log" &
COORD_PID=$!
cargo bench -q -p wasmload --bench coordinator_load -- "$COORD_PORT" "$COORD_PID" 1000 10 "${COORD_SECONDS:-60}" \
  | tee "$OUT/coordinator.txt"
kill -9 "$COORD_PID" 2>/dev/null || true

fi

# --- 8. languages ---------------------------------------------------------------------------
if wants 8; then
. bench/languages.sh
fi

# --- 9. throughput with more users, each its own connection ----------------------------------
if wants 9; then
# The same load as section 3 with 200 and 1,000 users (oha with as many connections), one
# round each: what each user's own instance, stacks and connection cost as they multiply.
echo "== throughput with more users, one round of ${DURATION}s each"
for users in 200 1000; do
  OHA_CPU=$(oha_load "$users")
  OHA_RPS=$(last_oha_rps)
  WL_CPU=$(one_request_load "$WASMLOAD" "$users" --spawn-rate 100000)
  WL_REQS=$(last_requests)
  WL_SECS=$(last_seconds)
  awk -v users="$users" -v orps="$OHA_RPS" -v ocpu="$OHA_CPU" -v secs="$DURATION" \
    -v reqs="$WL_REQS" -v wcpu="$WL_CPU" -v wsecs="$WL_SECS" 'BEGIN {
    o = ocpu / (orps * secs) * 100000; w = wcpu / reqs * 100000
    printf "%d users: oha %.0f req/s, %.2f CPU-s/100k | wasmload %.0f req/s, %.2f CPU-s/100k (%.0f%% of oha, %.2fx its CPU per request)\n",
      users, orps, o, reqs / wsecs, w, reqs / wsecs / orps * 100, w / o }'
done | tee "$OUT/more-users.txt"

fi
