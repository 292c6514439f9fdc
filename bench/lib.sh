# What bench/run.sh and bench/languages.sh share: the tools, the built binaries and guests, a
# one-worker nginx on core 1 as the target, and small helpers. Sourced, not run; loads once.
[ -n "${BENCH_LIB_LOADED:-}" ] && return 0
BENCH_LIB_LOADED=1
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-5}
PORT=${PORT:-18080}
OUT=bench/out
mkdir -p "$OUT"

# --- tools -------------------------------------------------------------------------------
rustup target add wasm32-wasip2 >/dev/null 2>&1
if ! command -v nginx >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq nginx-light || apt-get install -y -qq nginx) >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# wasmload as users install it (`--profile dist`: whole-program optimisation), not the
# test suite's quicker `--release` build.
cargo build --profile dist -q -p wasmload
cargo build --release -q -p demo-api
cargo build --release -q --target wasm32-wasip2 -p one_request -p idle_user -p uses_auth -p auth_library \
  -p library_calls -p echo_library
WASMLOAD=$PWD/target/dist/wasmload
GUESTS=$PWD/target/wasm32-wasip2/release

# The median of numbers on stdin, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- the target: nginx, one worker, on core 1 ------------------------------------------------
cat > "$OUT/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $PWD/$OUT/nginx-error.log;
pid $PWD/$OUT/nginx.pid;
worker_rlimit_nofile 16384;
events { worker_connections 16384; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$PORT;
    location / { default_type application/json; return 200 '{"status":"ok","users":["Alice","Bob","Charlie"]}'; }
  }
}
CONF
taskset -c 1 "$NGINX" -c "$PWD/$OUT/nginx.conf" -p "$PWD/$OUT" &
NGINX_PID=$!
trap 'kill $NGINX_PID 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.1; done

cpu_of() {  # runs "$@" and prints "user+sys" CPU seconds of it and its children on stderr
  local TIMEFORMAT='%U %S'
  { time "$@" >"$OUT/last.out" 2>/dev/null; } 2>&1 | awk '{ print $1 + $2 }'
}

# The throughput load: USERS users with no wait run one_request.wasm from the build BINARY
# on core 0 for DURATION (with FLAGS); prints its CPU seconds, its output in $OUT/last.out.
one_request_load() {  # one_request_load BINARY USERS [FLAGS...]
  local binary=$1 users=$2
  shift 2
  cpu_of taskset -c 0 "$binary" run "$GUESTS/one_request.wasm" --host "http://127.0.0.1:$PORT" \
    --users "$users" --run-time "${DURATION}s" --log-level warn "$@"
}

# oha beside it: CONNECTIONS connections on core 0 for DURATION (with FLAGS); prints its CPU
# seconds, its output in $OUT/last.out.
oha_load() {  # oha_load CONNECTIONS [FLAGS...]
  local connections=$1
  shift
  cpu_of taskset -c 0 oha -z "${DURATION}s" -c "$connections" --no-tui "$@" "http://127.0.0.1:$PORT/"
}

# What the last load printed to $OUT/last.out: wasmload's request count and the seconds its
# tasks ran, and oha's requests per second.
last_requests() { awk '$1 == "Aggregated" { print $2; exit }' "$OUT/last.out"; }
last_seconds() { grep -oE 'tasks in [0-9.]+s' "$OUT/last.out" | grep -oE '[0-9.]+' | head -1; }
last_oha_rps() { awk '/Requests\/sec/ { print $2; exit }' "$OUT/last.out"; }

# Runs COMPONENT with USERS sleeping users (and FLAGS) in one process until all run; prints
# that process's RSS and PSS in KiB. RSS counts a page the users share (the component's
# initial memory, mapped copy-on-write into every instance) once for each user that maps
# it; PSS counts it once, as the machine holds it.
memory_of_users() {  # memory_of_users COMPONENT USERS LOG [FLAGS...]
  local component=$1 users=$2 log=$3
  shift 3
  "$WASMLOAD" run "$component" "$@" --host "http://127.0.0.1:$PORT" \
    --users "$users" --spawn-rate 20000 --stop-timeout 1s --processes 1 >/dev/null 2>"$log" &
  local pid=$!
  for _ in $(seq 600); do grep -q "$users users running" "$log" 2>/dev/null && break; sleep 0.2; done
  grep -q "$users users running" "$log" || { echo "the $users users did not start; see $log" >&2; exit 1; }
  sleep 3   # let the last users instantiate and reach their wait
  local memory
  memory=$(awk '/^Rss:/ { rss = $2 } /^Pss:/ { pss = $2 } END { print rss, pss }' "/proc/$pid/smaps_rollup")
  kill -INT "$pid"; wait "$pid" || true
  echo "$memory"
}
# Per user between two memory_of_users readings A and B taken with USERS_A and USERS_B users:
# "RSS-KiB PSS-KiB".
per_user_memory() {  # per_user_memory "A" "B" USERS_A USERS_B
  awk -v a="$1" -v b="$2" -v na="$3" -v nb="$4" 'BEGIN {
    split(a, x, " "); split(b, y, " "); n = nb - na
    printf "%.1f %.1f\n", (y[1] - x[1]) / n, (y[2] - x[2]) / n }'
}
