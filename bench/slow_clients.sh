#!/usr/bin/env bash
# Slow clients: does the release `cachet` binary shed slowloris and idle connections, and keep
# serving a visitor meanwhile? One run against `cachet serve` (FRAMEWORK=axum|actix) with its
# default limits (or SERVE_ARGS), all from one machine:
#
#   attack:  SLOW connections from 127.0.0.1 that send a request head one byte per second and
#            never finish it (the red team's slowloris), plus IDLE connections from 127.0.0.3
#            that are served once and then send nothing;
#   visitor: meanwhile, `curl /api/v1/ping` from 127.0.0.2 (Linux routes all of 127/8 to
#            loopback) every half second.
#
# Reported: how many attack connections the server closed at once (over the per-address cap),
# how many it closed later and the longest it held one, how many were still open at the end,
# and the visitor's answers and slowest time. The target: no attack connection open at the
# end, every visitor request answered 200.
#
#   bench/slow_clients.sh                               # about 40 s
#   FRAMEWORK=actix SLOW=400 DURATION=40 bench/slow_clients.sh
#
# Environment: as bench/lib.sh, plus SLOW (400), IDLE (20), DURATION (seconds, 40: longer
# than the default header-read and keep-alive timeouts, 10 s and 15 s), SERVE_ARGS (extra
# `cachet serve` arguments, e.g. "--header-read-timeout 5"). Exit status 0 when the target is
# met, 3 when not.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_refuse_ci bench/slow_clients.sh
bench_require python3 curl
SLOW=${SLOW:-400}
IDLE=${IDLE:-20}
DURATION=${DURATION:-40}

bench_build
bench_workdir
# shellcheck disable=SC2086 # SERVE_ARGS is a list of arguments
bench_start_cachet ${SERVE_ARGS:-}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "== $SLOW slowloris and $IDLE idle connections for ${DURATION}s; a visitor from 127.0.0.2"
python3 - "$CACHET_PORT" "$SLOW" "$IDLE" "$DURATION" >"$WORK/attack.txt" <<'EOF' &
import socket, sys, time

port, slow, idle, duration = (int(a) for a in sys.argv[1:5])
head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Slow: " + b"a" * 100000
start = time.monotonic()
conns = []  # [socket, opened at, closed after (s) or None, kind]
for kind, n in (("slow", slow), ("idle", idle)):
    for _ in range(n):
        source = ("127.0.0.1" if kind == "slow" else "127.0.0.3", 0)
        s = socket.create_connection(("127.0.0.1", port), source_address=source)
        if kind == "idle":
            s.settimeout(10)
            s.sendall(b"GET /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try:
                s.recv(65536)  # the answer (small: one read)
            except OSError:
                pass
        s.setblocking(False)
        conns.append([s, time.monotonic(), None, kind])
sent = 0
while time.monotonic() - start < duration:
    for c in conns:
        if c[2] is not None:
            continue
        s = c[0]
        gone = False
        try:
            if s.recv(65536) == b"":
                gone = True
        except BlockingIOError:
            pass
        except OSError:
            gone = True
        if not gone and c[3] == "slow":
            try:
                s.send(head[sent:sent + 1])
            except BlockingIOError:
                pass
            except OSError:
                gone = True
        if gone:
            c[2] = time.monotonic() - c[1]
            s.close()
    sent += 1
    time.sleep(1)
for kind in ("slow", "idle"):
    mine = [c for c in conns if c[3] == kind]
    at_once = sum(1 for c in mine if c[2] is not None and c[2] < 1.5)
    later = [c[2] for c in mine if c[2] is not None and c[2] >= 1.5]
    still = sum(1 for c in mine if c[2] is None)
    longest = max(later) if later else 0
    print(f"{kind} {len(mine)} {at_once} {len(later)} {longest:.1f} {still}")
EOF
ATTACK=$!
BENCH_PIDS+=("$ATTACK")

ok=0
bad=0
slowest=0
end=$((SECONDS + DURATION))
sleep 2
while ((SECONDS < end)); do
    out=$(curl -sS -o /dev/null --interface 127.0.0.2 --max-time 10 \
        -w '%{http_code} %{time_total}' "$OURS/api/v1/ping" 2>/dev/null || echo "000 10")
    read -r code took <<<"$out"
    if [[ "$code" == 200 ]]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
    slowest=$(awk -v a="$slowest" -v b="$took" 'BEGIN { print (b > a ? b : a) }')
    sleep 0.5
done
wait "$ATTACK"

echo
printf '%-5s %6s %16s %14s %12s %10s\n' kind opened "closed at once" "closed later" "longest (s)" "still open"
still_open=0
while read -r kind opened at_once later longest still; do
    printf '%-5s %6s %16s %14s %12s %10s\n' "$kind" "$opened" "$at_once" "$later" "$longest" "$still"
    still_open=$((still_open + still))
done <"$WORK/attack.txt"
echo
echo "visitor from 127.0.0.2: $ok answered 200, $bad not; slowest ${slowest}s"
if ((still_open == 0 && bad == 0)); then
    echo "target met: no attack connection left open, every visitor request served"
else
    echo "target missed"
    exit 3
fi
