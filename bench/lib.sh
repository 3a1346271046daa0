# Shared pieces of the manual load benchmarks in bench/ (sourced, never run on its own).
#
# A script sets `set -euo pipefail`, sources this file, then calls, in order:
#   bench_refuse_ci NAME; bench_require TOOL...; bench_build; bench_workdir;
#   bench_seed_big (optional); bench_start_cachet [SERVE ARGS...]
# and measures with bench_wrk / bench_hwm. Everything started is stopped on exit, and the
# temporary directory removed. Traffic goes to 127.0.0.1 only.
#
# Environment: CACHET_PORT (18080), BENCH_NO_BUILD (1 to use target/release as it is),
# FRAMEWORK (axum|actix, axum), CARGO_TARGET_DIR.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_TARGET=${CARGO_TARGET_DIR:-$BENCH_ROOT/target}
CACHET=$BENCH_TARGET/release/cachet
SEED=$BENCH_TARGET/release/bench_seed
CACHET_PORT=${CACHET_PORT:-18080}
FRAMEWORK=${FRAMEWORK:-axum}
OURS="http://127.0.0.1:$CACHET_PORT"
CACHET_PID=
WORK=
# Further pids to stop on exit (wrk floods running in the background).
BENCH_PIDS=()

# A manual benchmark never runs in CI.
bench_refuse_ci() {
    if [[ -n "${CI:-}" ]]; then
        echo "$1 is a manual benchmark and does not run in CI" >&2
        exit 0
    fi
}

bench_require() {
    local tool
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "this benchmark needs $tool: apt-get install -y $*" >&2
            exit 1
        fi
    done
}

bench_build() {
    if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
        echo "== building the release binaries (reused when up to date)"
        (cd "$BENCH_ROOT" && cargo build --release -p cachet-examples --bin cachet --bin bench_seed)
    fi
}

bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "$CACHET_PID" ]] && kill -0 "$CACHET_PID" 2>/dev/null; then
        kill -TERM "$CACHET_PID" 2>/dev/null || true
        wait "$CACHET_PID" 2>/dev/null || true
    fi
    [[ -n "$WORK" ]] && rm -rf "$WORK"
}

# WORK: a fresh temporary directory; DB and KEY: a SQLite database and key file in it.
bench_workdir() {
    WORK=$(mktemp -d -t cachet-bench.XXXXXX)
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    DB="sqlite://$WORK/cachet.db"
    KEY="$WORK/cachet.key"
    "$CACHET" key generate --secret-key-file "$KEY"
}

# The big data set of bench/load.sh (examples/src/bin/bench_seed.rs), about a minute.
bench_seed_big() {
    echo "== seeding $DB with bench_seed"
    local start
    start=$(date +%s)
    "$SEED" "$DB" "$KEY"
    echo "   seeded in $(($(date +%s) - start)) s"
}

# Sets a site setting in the SQLite database before the server starts (there is no CLI for
# settings); the revision is bumped as a write through the facade would.
bench_setting() {
    local key=$1 value=$2
    sqlite3 "${DB#sqlite://}" \
        "INSERT INTO cachet_settings (setting_key, value) VALUES ('$key', '$value')
           ON CONFLICT(setting_key) DO UPDATE SET value = excluded.value;
         UPDATE cachet_revision SET value = value + 1 WHERE id = 1;"
}

# Starts `cachet serve` on 127.0.0.1:$CACHET_PORT with extra serve arguments; waits until it
# answers.
bench_start_cachet() {
    echo "== starting cachet serve on $OURS ($FRAMEWORK) $*"
    RUST_LOG=${RUST_LOG:-warn} "$CACHET" serve --database-url "$DB" --secret-key-file "$KEY" \
        --bind "127.0.0.1:$CACHET_PORT" --framework "$FRAMEWORK" \
        --public-url "$OURS" "$@" >"$WORK/cachet.out" 2>"$WORK/cachet.err" &
    CACHET_PID=$!
    local _
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null "$OURS/api/v1/ping" 2>/dev/null && return 0
        kill -0 "$CACHET_PID" 2>/dev/null || { cat "$WORK/cachet.err" >&2; exit 1; }
        sleep 0.2
    done
    echo "cachet did not answer within a minute" >&2
    exit 1
}

# The cachet process's peak resident memory (VmHWM) and current (VmRSS), in MB.
bench_hwm() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$CACHET_PID/status"; }
bench_rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$CACHET_PID/status"; }

# bench_wrk LOG URL [WRK ARGS...] [-- SCRIPT ARGS...] -> "requests_per_second p99 non_2xx";
# the whole wrk output is appended to LOG. p99 is printed as wrk prints it (e.g. 5.24ms);
# bench_ms converts.
bench_wrk() {
    local log=$1 url=$2 out options=() rest=()
    shift 2
    while [[ $# -gt 0 && "$1" != -- ]]; do
        options+=("$1")
        shift
    done
    [[ $# -gt 0 ]] && rest=("$@")
    out=$(wrk --latency "${options[@]}" "$url" "${rest[@]}")
    echo "$out" >>"$log"
    awk '/^Requests\/sec:/ { rps = $2 }
         /^ +99%/ { p99 = $2 }
         /Non-2xx or 3xx responses:/ { bad = $5 }
         END { print rps, p99, (bad == "" ? 0 : bad) }' <<<"$out"
}

# A wrk latency (850.00us, 5.24ms, 1.02s) in milliseconds.
bench_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000
        else if (v ~ /ms$/) n = n
        else if (v ~ /m$/) n *= 60000
        else if (v ~ /s$/) n *= 1000
        printf "%.2f", n
    }'
}
