#!/usr/bin/env bash
# The load benchmark (BENCHMARKS.md): our release `cachet` binary against nginx serving the
# very same bytes as static files, both driven by wrk in the same run.
#
#   bench/load.sh            # from the workspace root (or anywhere)
#
# It builds (or reuses) the release `cachet` and `bench_seed` binaries, seeds a temporary
# SQLite database with the big data set (200 components in 20 groups, 5,000 incidents with
# updates, 50 metrics with 100,000 points), starts `cachet serve` on 127.0.0.1, saves `/` and
# `/api/v2/summary.json` as nginx's static files, starts nginx (its own config in the temp
# directory, 2 workers, no access log) on another loopback port, and runs
# `wrk -t2 -c64 -d10s --latency` against each response of each server: plain, then with
# `Accept-Encoding: gzip` (nginx serves our gzip bytes with gzip_static). Each comparison is
# ROUNDS rounds, ours and nginx alternating, and reports the median round of each: on a shared
# machine a neighbour's burst then hits both sides instead of one. It prints requests per
# second, p99 latency, the ratio ours / nginx and the peak RSS (VmHWM) of the cachet process,
# then stops everything it started.
#
# The small-body case (BENCH_SMALL=1) runs only the small cached answers, the gzip bodies
# (`/` about 21 KB, the summary about 5 KB), where per-request work rather than bytes sets the
# rate, and checks each against the target: at least 90% of nginx's requests per second and
# a p99 within 1.2x of nginx's (exit 3 when missed).
#
# Environment: CACHET_PORT (18080), NGINX_PORT (18081), DURATION (10s), ROUNDS (3),
# CONNECTIONS (64), THREADS (2), FRAMEWORK (axum|actix, axum), BENCH_GZIP (1; 0 skips the
# gzip runs), BENCH_SMALL (0; 1 runs the small-body case only), BENCH_NO_BUILD (1 to use the
# binaries in target/release as they are).
#
# A manual benchmark: it refuses to run in CI, and sends traffic to 127.0.0.1 only.
set -euo pipefail

if [[ -n "${CI:-}" ]]; then
    echo "bench/load.sh is a manual benchmark and does not run in CI" >&2
    exit 0
fi
for tool in nginx wrk curl; do
    if ! command -v "$tool" >/dev/null 2>&1 && ! [[ -x "/usr/sbin/$tool" ]]; then
        echo "bench/load.sh needs $tool: apt-get install -y nginx wrk curl" >&2
        exit 1
    fi
done
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)

CACHET_PORT=${CACHET_PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
FRAMEWORK=${FRAMEWORK:-axum}
BENCH_GZIP=${BENCH_GZIP:-1}
BENCH_SMALL=${BENCH_SMALL:-0}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    echo "== building the release binaries (reused when up to date)"
    (cd "$ROOT" && cargo build --release -p cachet-examples --bin cachet --bin bench_seed)
fi
CACHET=$TARGET/release/cachet
SEED=$TARGET/release/bench_seed

WORK=$(mktemp -d -t cachet-load.XXXXXX)
CACHET_PID=
NGINX_PID=
cleanup() {
    if [[ -n "$CACHET_PID" ]] && kill -0 "$CACHET_PID" 2>/dev/null; then
        kill -TERM "$CACHET_PID" 2>/dev/null || true
        wait "$CACHET_PID" 2>/dev/null || true
    fi
    if [[ -n "$NGINX_PID" ]] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        wait "$NGINX_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

DB="sqlite://$WORK/cachet.db"
KEY="$WORK/cachet.key"
echo "== seeding $DB"
start=$(date +%s)
"$CACHET" key generate --secret-key-file "$KEY"
"$SEED" "$DB" "$KEY"
echo "   seeded in $(($(date +%s) - start)) s"

echo "== starting cachet serve on 127.0.0.1:$CACHET_PORT ($FRAMEWORK)"
RUST_LOG=${RUST_LOG:-warn} "$CACHET" serve --database-url "$DB" --secret-key-file "$KEY" \
    --bind "127.0.0.1:$CACHET_PORT" --framework "$FRAMEWORK" \
    --public-url "http://127.0.0.1:$CACHET_PORT" >"$WORK/cachet.out" 2>"$WORK/cachet.err" &
CACHET_PID=$!
OURS="http://127.0.0.1:$CACHET_PORT"
for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$OURS/api/v1/ping" 2>/dev/null && break
    kill -0 "$CACHET_PID" 2>/dev/null || { cat "$WORK/cachet.err" >&2; exit 1; }
    sleep 0.2
done

# The first render of the big page may outlast the render deadline on a busy machine (a 503
# with Retry-After): each answer is fetched until it comes back.
save() {
    local url=$1 out=$2
    shift 2
    for _ in $(seq 1 240); do
        curl -fsS "$@" "$url" -o "$out" 2>/dev/null && return 0
        sleep 0.5
    done
    echo "no answer from $url after 2 minutes" >&2
    exit 1
}

# nginx serves exactly our bytes: the plain bodies, and our gzip bodies as .gz files.
WWW=$WORK/www
mkdir -p "$WWW/api/v2"
save "$OURS/" "$WWW/index.html"
save "$OURS/api/v2/summary.json" "$WWW/api/v2/summary.json"
save "$OURS/" "$WWW/index.html.gz" -H 'Accept-Encoding: gzip'
save "$OURS/api/v2/summary.json" "$WWW/api/v2/summary.json.gz" -H 'Accept-Encoding: gzip'
chmod -R a+rX "$WORK"

cat >"$WORK/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    types { text/html html; application/json json; }
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    client_body_temp_path $WORK/nginx-body;
    proxy_temp_path $WORK/nginx-proxy;
    fastcgi_temp_path $WORK/nginx-fastcgi;
    uwsgi_temp_path $WORK/nginx-uwsgi;
    scgi_temp_path $WORK/nginx-scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WWW;
        index index.html;
        gzip_static on;
    }
}
EOF
echo "== starting nginx on 127.0.0.1:$NGINX_PORT (2 workers, access log off)"
"$NGINX_BIN" -p "$WORK" -c "$WORK/nginx.conf" 2>>"$WORK/nginx-error.log" &
NGINX_PID=$!
THEIRS="http://127.0.0.1:$NGINX_PORT"
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$THEIRS/" 2>/dev/null && break
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$WORK/nginx-error.log" >&2; exit 1; }
    sleep 0.1
done

for path in / /api/v2/summary.json; do
    for enc in identity gzip; do
        a=$(curl -fsS -H "Accept-Encoding: $enc" "$OURS$path" | sha256sum)
        b=$(curl -fsS -H "Accept-Encoding: $enc" "$THEIRS$path" | sha256sum)
        [[ "$a" == "$b" ]] || { echo "nginx does not serve our bytes for $path ($enc)" >&2; exit 1; }
    done
done
printf '   / is %s bytes (%s gzip), summary.json %s bytes (%s gzip)\n' \
    "$(stat -c %s "$WWW/index.html")" "$(stat -c %s "$WWW/index.html.gz")" \
    "$(stat -c %s "$WWW/api/v2/summary.json")" "$(stat -c %s "$WWW/api/v2/summary.json.gz")"

hwm() { awk '/^VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$CACHET_PID/status"; }
rss() { awk '/^VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$CACHET_PID/status"; }
echo "   cachet RSS before the load: $(rss) (peak so far $(hwm))"

# run URL [HEADER...] -> "requests_per_second p99"
run() {
    local url=$1 out
    shift
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")
    echo "$out" >>"$WORK/wrk.log"
    if grep -q 'Non-2xx' <<<"$out"; then
        echo "non-2xx answers from $url" >&2
        echo "$out" >&2
        exit 1
    fi
    awk '/^Requests\/sec:/ { rps = $2 } /^ +99%/ { p99 = $2 } END { print rps, p99 }' <<<"$out"
}

# median "rps p99"... -> the round with the median throughput
median() {
    printf '%s\n' "$@" | sort -n -k1,1 | awk '{ rows[NR] = $0 } END { print rows[int((NR + 1) / 2)] }'
}

encodings=(plain)
[[ "$BENCH_GZIP" == 1 ]] && encodings+=(gzip)
[[ "$BENCH_SMALL" == 1 ]] && encodings=(gzip)
# wrk's latency ("850.00us", "5.24ms", "1.02s") in milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
        printf "%.3f", n
    }'
}
missed=0
rows=()
for enc in "${encodings[@]}"; do
    headers=()
    [[ "$enc" == gzip ]] && headers=(-H 'Accept-Encoding: gzip')
    for path in / /api/v2/summary.json; do
        echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION $path ($enc): cachet, then nginx"
        ours_rounds=()
        nginx_rounds=()
        for _ in $(seq 1 "$ROUNDS"); do
            ours_rounds+=("$(run "$OURS$path" "${headers[@]}")")
            nginx_rounds+=("$(run "$THEIRS$path" "${headers[@]}")")
        done
        echo "   rounds (req/s p99): cachet ${ours_rounds[*]/%/;} nginx ${nginx_rounds[*]/%/;}"
        read -r ours_rps ours_p99 < <(median "${ours_rounds[@]}")
        read -r nginx_rps nginx_p99 < <(median "${nginx_rounds[@]}")
        ratio=$(awk -v a="$ours_rps" -v b="$nginx_rps" 'BEGIN { printf "%.0f%%", 100 * a / b }')
        rows+=("$(printf '| `%s` %s | %s | %s | %s | %s | %s | %s |' "$path" "$enc" \
            "$ours_rps" "$ours_p99" "$nginx_rps" "$nginx_p99" "$ratio" "$(hwm)")")
        echo "   cachet $ours_rps req/s (p99 $ours_p99), nginx $nginx_rps req/s (p99 $nginx_p99): $ratio; cachet peak RSS $(hwm)"
        if [[ "$BENCH_SMALL" == 1 ]]; then
            verdict=$(awk -v a="$ours_rps" -v b="$nginx_rps" -v pa="$(to_ms "$ours_p99")" \
                -v pb="$(to_ms "$nginx_p99")" 'BEGIN {
                    ok = (a >= 0.9 * b) && (pa <= 1.2 * pb)
                    printf "%s: throughput %.0f%% (target >= 90%%), p99 %.2fx nginx'"'"'s (target <= 1.2x)",
                        ok ? "met" : "MISSED", 100 * a / b, pa / pb
                }')
            echo "   small-body target $verdict"
            [[ "$verdict" == met* ]] || missed=1
        fi
    done
done

echo
echo "== results ($(date -u +%Y-%m-%d), $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, median of $ROUNDS rounds, $FRAMEWORK)"
echo '| response | cachet req/s | cachet p99 | nginx req/s | nginx p99 | ours / nginx | cachet peak RSS |'
echo '|---|---|---|---|---|---|---|'
printf '%s\n' "${rows[@]}"
echo "cachet peak RSS (VmHWM) over the whole run: $(hwm); RSS now $(rss)"
if [[ "$BENCH_SMALL" == 1 && "$missed" == 1 ]]; then
    echo "small-body target missed (see above)"
    exit 3
fi
