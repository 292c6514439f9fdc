# Per language, the same two scenarios (one request per task; an idle user) in Rust, Python
# (componentize-py) and JavaScript (componentize-qjs), measured in one run against the same
# nginx: component size, start time with an empty cache and with a warm one, instantiation
# per user, resident memory per idle and per active user, and CPU per request beside Rust's.
# Sourced by bench/run.sh as its section 8; `bash bench/languages.sh` runs it alone.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. bench/lib.sh
export WASMLOAD_CACHE=$PWD/$OUT/cache

component_of() {  # component_of LANGUAGE NAME: the scenario argument of that language's guest
  case $1 in
    rust) echo "$GUESTS/$2.wasm" ;;
    python) echo "bench/scripts/python/$2.py" ;;
    js) echo "bench/scripts/js/$2.js" ;;
  esac
}
built_of() {  # built_of SCENARIO: the component file wasmload runs for it (inspect's first line)
  "$WASMLOAD" inspect "$1" 2>/dev/null | awk 'NR == 1 { print $1 }'
}
seconds_of() {  # seconds_of COMMAND...: its wall time
  local TIMEFORMAT='%R'
  { time "$@" >/dev/null 2>&1; } 2>&1
}
users_for() {  # users_for LANGUAGE: the two idle-user counts whose RSS difference is measured
  case $1 in rust) echo "1000 5000" ;; js) echo "200 1000" ;; python) echo "50 250" ;; esac
}

echo "== languages"
: >"$OUT/languages.txt"
RUST_CPU=""
for lang in rust python js; do
  one=$(component_of "$lang" one_request)
  idle=$(component_of "$lang" idle_user)
  "$WASMLOAD" inspect "$one" >/dev/null 2>&1   # installs the toolchain, if any, outside the timing
  "$WASMLOAD" inspect "$idle" >/dev/null 2>&1
  rm -rf "$WASMLOAD_CACHE/py" "$WASMLOAD_CACHE/js" "$WASMLOAD_CACHE/compiled"
  first=$(seconds_of "$WASMLOAD" inspect "$one")
  cached=$(seconds_of "$WASMLOAD" inspect "$one")
  built=$(built_of "$one")
  "$WASMLOAD" inspect "$idle" >/dev/null 2>&1
  size=$(stat -c %s "$built")
  read -r few many <<<"$(users_for "$lang")"
  inst=$(cargo bench -q -p wasmload --bench instantiate -- "$built" "$few" | grep -oE 'median [0-9.]+ us')
  # Each reading on its own line, so that a failed one stops the script (set -e).
  idle_few=$(memory_of_users "$idle" "$few" "$OUT/lang-$lang-idle-$few.log" --env CONNECT=0)
  idle_many=$(memory_of_users "$idle" "$many" "$OUT/lang-$lang-idle-$many.log" --env CONNECT=0)
  busy_few=$(memory_of_users "$idle" "$few" "$OUT/lang-$lang-busy-$few.log" --env CONNECT=1)
  busy_many=$(memory_of_users "$idle" "$many" "$OUT/lang-$lang-busy-$many.log" --env CONNECT=1)
  idle_mem=$(per_user_memory "$idle_few" "$idle_many" "$few" "$many")
  busy_mem=$(per_user_memory "$busy_few" "$busy_many" "$few" "$many")
  cpu=$(cpu_of taskset -c 0 "$WASMLOAD" run "$one" --host "http://127.0.0.1:$PORT" \
    --users 50 --run-time "${DURATION}s" --log-level warn)
  reqs=$(last_requests)
  per100k=$(awk -v c="$cpu" -v r="$reqs" 'BEGIN { printf "%.2f", c / r * 100000 }')
  [ "$lang" = rust ] && RUST_CPU=$per100k
  awk -v lang="$lang" -v size="$size" -v first="$first" -v cached="$cached" -v inst="$inst" \
    -v a="$few" -v b="$many" -v idle="$idle_mem" -v busy="$busy_mem" \
    -v reqs="$reqs" -v secs="$DURATION" -v cpu="$per100k" -v rust="$RUST_CPU" 'BEGIN {
    printf "%s: component %.1f MiB; start %.2f s with an empty cache, %.2f s cached; instantiate %s\n",
      lang, size / 1048576, first, cached, inst
    split(idle, i, " "); split(busy, u, " ")
    printf "%s: resident per idle user %.0f KiB, per user after one request %.0f KiB (%d -> %d users)\n",
      lang, i[1], u[1], a, b
    printf "%s: PSS, the pages users share counted once: %.0f KiB per idle user, %.0f KiB after one request\n",
      lang, i[2], u[2]
    printf "%s: 50 users, no wait: %.0f req/s, %.2f CPU-s per 100k requests (%.2fx Rust'"'"'s)\n",
      lang, reqs / secs, cpu, cpu / rust }' | tee -a "$OUT/languages.txt"
done
echo "targets: Python <= 8 MiB and JavaScript <= 1 MiB resident per user" | tee -a "$OUT/languages.txt"
