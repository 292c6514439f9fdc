#!/usr/bin/env bash
# Compares the CPU per request of two wasmload builds on section 3's load (50 users, one
# request a task, against the one-worker nginx; generator on core 0), beside oha in each
# round. The machine is shared and single runs swing by a third, so the two builds alternate
# (A first in odd rounds, B first in even ones) and the per-round ratios' median is printed.
# Usage: bash bench/compare.sh OLD_BINARY NEW_BINARY   (ROUNDS=10 rounds of DURATION=8 seconds)
# Keep a build for later with: cp target/dist/wasmload /tmp/wasmload-before
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-10}
DURATION=${DURATION:-8}
. bench/lib.sh
command -v oha >/dev/null || cargo install oha --locked
A=$(realpath "$1")
B=$(realpath "$2")

# CPU-seconds per 100k requests of one run of the build $1.
wasmload_cpu() {
  local cpu
  cpu=$(one_request_load "$1" 50)
  awk -v cpu="$cpu" -v reqs="$(last_requests)" \
    'BEGIN { printf "%.3f", cpu / reqs * 100000 }'
}

echo "== CPU-s per 100k requests, 50 users, ${ROUNDS} alternating rounds of ${DURATION}s"
: >"$OUT/compare.txt"
for round in $(seq "$ROUNDS"); do
  if (( round % 2 )); then a=$(wasmload_cpu "$A"); b=$(wasmload_cpu "$B")
  else b=$(wasmload_cpu "$B"); a=$(wasmload_cpu "$A"); fi
  cpu=$(oha_load 50)
  rps=$(last_oha_rps)
  o=$(awk -v cpu="$cpu" -v rps="$rps" -v secs="$DURATION" 'BEGIN { printf "%.3f", cpu / (rps * secs) * 100000 }')
  echo "$round $o $a $b" | tee -a "$OUT/compare.txt" | awk '{
    printf "round %d: oha %.2f | A %.2f (%.2fx oha) | B %.2f (%.2fx oha) | B/A %.3f\n", $1, $2, $3, $3 / $2, $4, $4 / $2, $4 / $3 }'
done
ratio() { awk "{ print $1 }" "$OUT/compare.txt" | median; }
printf "median over %d rounds: A %.2fx oha, B %.2fx oha, B/A %.3f\n" \
  "$ROUNDS" "$(ratio '$3 / $2')" "$(ratio '$4 / $2')" "$(ratio '$4 / $3')"
