#!/usr/bin/env bash
# Login flood: does a flood of failed sign-ins (argon2 each) slow unrelated requests? In ONE
# run against the release `cachet` binary on SQLite (the big data set of bench/load.sh and a
# seeded admin), behind `--trusted-proxy 127.0.0.1` so each sign-in can come from its own
# `X-Forwarded-For` address:
#
#   idle:  a visitor's page: `/` (cached, gzip) paced to about VISITOR_RATE requests a second
#          over VISITOR_CONNECTIONS connections (the target), then `/` and `/health` as fast
#          as wrk -t1 -c$CONNECTIONS can ask (saturating: reported, not the target);
#   flood: the same three measurements while a second wrk POSTs failed sign-ins to
#          /auth/login (the login form's visitor token, a wrong password, a random address out
#          of FLOOD_ADDRESSES and mostly unknown accounts, one in ten the admin's, so the
#          per-address and per-account throttles do not end the hashing), paced to about
#          FLOOD_RATE a second over FLOOD_CONNECTIONS connections.
#
# Why the target is the paced visitor: the question is whether hashing delays an unrelated
# request, as argon2 on the async workers did (a ping's p95 went from 2.8 to 137 ms). A
# saturating closed loop measures something else: every core is already busy serving wrk, so
# any extra work at all (the flood's own parsing, throttle rows, audit rows and the second wrk
# process, not only the hashing) shows up as queueing in its p99, and on two shared cores its
# idle p99 alone varies several-fold between rounds. Both are printed.
#
# ROUNDS rounds (idle, then flood), the median p99 of each reported, with the ratio
# flood / idle (target: within 2x for the visitor's `/`), the flood's achieved rate and its
# answers by status (401: a wrong password, hashed; 429: throttled, not hashed).
#
#   bench/login_flood.sh      # about 6 minutes
#
# Environment: as bench/lib.sh, plus DURATION (10s), ROUNDS (5), CONNECTIONS (8),
# VISITOR_RATE (200), VISITOR_CONNECTIONS (4), FLOOD_RATE (42; 0: as fast as the server
# answers), FLOOD_CONNECTIONS (8), FLOOD_ADDRESSES (65536), BENCH_SEED (1; 0 skips the big
# data set). Exit status 0 when the target is met, 3 when not.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_refuse_ci bench/login_flood.sh
bench_require wrk curl
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-5}
CONNECTIONS=${CONNECTIONS:-8}
VISITOR_RATE=${VISITOR_RATE:-200}
VISITOR_CONNECTIONS=${VISITOR_CONNECTIONS:-4}
FLOOD_RATE=${FLOOD_RATE:-42}
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-8}
FLOOD_ADDRESSES=${FLOOD_ADDRESSES:-65536}
ADMIN_EMAIL=admin@bench.example

bench_build
bench_workdir
if [[ "${BENCH_SEED:-1}" == 1 ]]; then
    bench_seed_big
fi
echo "== creating the admin $ADMIN_EMAIL"
# A long random password: it passes the strength policy, and the flood never guesses it.
PASSWORD="bench $(head -c 18 /dev/urandom | base64 | tr -d '/+=') flood"
printf '%s\n' "$PASSWORD" | "$CACHET" user create --database-url "$DB" \
    --secret-key-file "$KEY" --email "$ADMIN_EMAIL" --role admin >/dev/null
bench_start_cachet --trusted-proxy 127.0.0.1

# The login form's visitor token (stateless, valid for a while): every flood request
# carries it, as a scripted attacker would.
TOKEN=$(curl -fsS "$OURS/auth/login" | sed -n 's/.*name="_token" value="\([^"]*\)".*/\1/p' | head -n 1)
[[ -n "$TOKEN" ]] || { echo "no _token in the login form" >&2; exit 1; }
probe=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$OURS/auth/login" \
    -H "Origin: $OURS" -H 'X-Forwarded-For: 192.0.2.1' \
    --data-urlencode "_token=$TOKEN" --data-urlencode "email=$ADMIN_EMAIL" \
    --data-urlencode "password=not the password")
[[ "$probe" == 401 ]] || { echo "a failed sign-in answered $probe, not 401" >&2; exit 1; }

delay_ms=0
if [[ "$FLOOD_RATE" != 0 ]]; then
    delay_ms=$((1000 * FLOOD_CONNECTIONS / FLOOD_RATE))
fi
cat >"$WORK/flood.lua" <<'EOF'
-- Failed sign-ins: args token, delay (ms), address pool size, admin email, origin.
local token, pause, pool, admin, origin
local threads = {}
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  token, pause, pool, admin, origin = args[1], tonumber(args[2]), tonumber(args[3]), args[4], args[5]
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function delay()
  return pause
end

function request()
  local n = math.random(0, pool - 1)
  local ip = string.format("10.%d.%d.%d", math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
  local email = admin
  if math.random(10) > 1 then
    email = string.format("nobody%d%%40bench.example", math.random(0, 0x3fffffff))
  end
  local body = "_token=" .. token .. "&email=" .. email .. "&password=wrong" .. math.random(0, 0x3fffffff)
  return wrk.format("POST", "/auth/login", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = origin,
    ["X-Forwarded-For"] = ip,
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      totals[status] = (totals[status] or 0) + n
    end
  end
  for status, n in pairs(totals) do
    io.write(string.format("flood status %d: %d\n", status, n))
  end
end
EOF

# The visitor: one request every `pause` ms per connection, whatever the answers' speed.
cat >"$WORK/visitor.lua" <<'EOF'
local pause
function init(args)
  pause = tonumber(args[1])
end
function delay()
  return pause
end
EOF
visitor_delay_ms=$((1000 * VISITOR_CONNECTIONS / VISITOR_RATE))

# The visitor's page: p99 in ms.
visit() {
    local rps p99 bad
    read -r rps p99 bad < <(bench_wrk "$WORK/wrk.log" "$OURS/" -t1 -c"$VISITOR_CONNECTIONS" \
        -d"$DURATION" -H 'Accept-Encoding: gzip' -s "$WORK/visitor.lua" -- "$visitor_delay_ms")
    if [[ "$bad" != 0 ]]; then
        echo "/: $bad non-2xx answers" >&2
        exit 1
    fi
    echo "$(bench_ms "$p99") $rps"
}

# The pages measured as fast as wrk asks: p99 in ms.
measure() {
    local path=$1 rps p99 bad
    shift
    read -r rps p99 bad < <(bench_wrk "$WORK/wrk.log" "$OURS$path" -t1 -c"$CONNECTIONS" \
        -d"$DURATION" -H 'Accept-Encoding: gzip' "$@")
    if [[ "$bad" != 0 ]]; then
        echo "$path: $bad non-2xx answers" >&2
        exit 1
    fi
    echo "$(bench_ms "$p99") $rps"
}

median() {
    printf '%s\n' "$@" | sort -g -k1,1 | awk '{ rows[NR] = $0 } END { print rows[int((NR + 1) / 2)] }'
}

curl -fsS -o /dev/null -H 'Accept-Encoding: gzip' "$OURS/"
flood_seconds=$(( ${DURATION%s} * 3 + 4 ))
idle_visit=()
idle_page=()
idle_health=()
flood_visit=()
flood_page=()
flood_health=()
for round in $(seq 1 "$ROUNDS"); do
    echo "== round $round/$ROUNDS: idle"
    idle_visit+=("$(visit)")
    idle_page+=("$(measure /)")
    idle_health+=("$(measure /health)")
    echo "   visitor / p99 ${idle_visit[-1]% *} ms; saturating: / p99 ${idle_page[-1]% *} ms, /health p99 ${idle_health[-1]% *} ms"
    echo "== round $round/$ROUNDS: during the flood (${FLOOD_RATE}/s target, $FLOOD_CONNECTIONS connections)"
    wrk -t1 -c"$FLOOD_CONNECTIONS" -d"${flood_seconds}s" -s "$WORK/flood.lua" "$OURS/auth/login" \
        -- "$TOKEN" "$delay_ms" "$FLOOD_ADDRESSES" "$ADMIN_EMAIL" "$OURS" >"$WORK/flood-$round.log" 2>&1 &
    flood_pid=$!
    BENCH_PIDS+=("$flood_pid")
    sleep 2
    flood_visit+=("$(visit)")
    flood_page+=("$(measure /)")
    flood_health+=("$(measure /health)")
    wait "$flood_pid" || true
    flood_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$WORK/flood-$round.log")
    flood_statuses=$(grep '^flood status' "$WORK/flood-$round.log" | sed 's/^flood status //' | paste -sd ',' -)
    echo "   visitor / p99 ${flood_visit[-1]% *} ms; saturating: / p99 ${flood_page[-1]% *} ms, /health p99 ${flood_health[-1]% *} ms; flood $flood_rps sign-ins/s (status: $flood_statuses)"
done

read -r idle_v99 _ < <(median "${idle_visit[@]}")
read -r flood_v99 _ < <(median "${flood_visit[@]}")
read -r idle_p99 _ < <(median "${idle_page[@]}")
read -r idle_h99 _ < <(median "${idle_health[@]}")
read -r flood_p99 _ < <(median "${flood_page[@]}")
read -r flood_h99 _ < <(median "${flood_health[@]}")
visit_ratio=$(awk -v a="$flood_v99" -v b="$idle_v99" 'BEGIN { printf "%.2f", a / b }')
ratio=$(awk -v a="$flood_p99" -v b="$idle_p99" 'BEGIN { printf "%.2f", a / b }')
health_ratio=$(awk -v a="$flood_h99" -v b="$idle_h99" 'BEGIN { printf "%.2f", a / b }')
ok=$(awk -v r="$visit_ratio" 'BEGIN { print (r <= 2) ? "met" : "NOT met" }')

echo
echo "== results ($(date -u +%Y-%m-%d), $(nproc) cores, -d$DURATION, median of $ROUNDS rounds, $FRAMEWORK; flood ${FLOOD_RATE}/s target over $FLOOD_CONNECTIONS connections)"
echo '| request | p99 idle | p99 during the flood | flood / idle |'
echo '|---|---|---|---|'
echo "| visitor: \`/\` (cached, gzip), ${VISITOR_RATE}/s over $VISITOR_CONNECTIONS connections | $idle_v99 ms | $flood_v99 ms | ${visit_ratio}x |"
echo "| saturating: \`/\` (cached, gzip), wrk -t1 -c$CONNECTIONS | $idle_p99 ms | $flood_p99 ms | ${ratio}x |"
echo "| saturating: \`/health\`, wrk -t1 -c$CONNECTIONS | $idle_h99 ms | $flood_h99 ms | ${health_ratio}x |"
echo "target (the visitor's \`/\` within 2x of idle): $ok; cachet peak RSS $(bench_hwm) MB"
[[ "$ok" == met ]] && exit 0
exit 3
