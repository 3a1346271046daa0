#!/usr/bin/env bash
# The mail benchmark (BENCHMARKS.md): our dispatcher delivering into postfix's `smtp-sink`
# against the ceiling of a real mail client, postfix's `smtp-source`, into the same sink, in
# the same run.
#
#   bench/mail.sh            # from the workspace root (or anywhere)
#
# It installs postfix (for smtp-sink and smtp-source) only when they are missing, starts
# `smtp-sink` on 127.0.0.1:$SMTP_PORT, and alternates, ROUNDS times:
#   - the ceiling: `smtp-source -d -s $SESSIONS -l $LENGTH -m $CEILING_MAILS` (sessions kept
#     open across messages, as our pool keeps them), timed;
#   - ours: the ignored benchmark test `bench_fanout_and_delivery_rate` (cachet-store's
#     notify_faults, in release): $SUBSCRIBERS verified subscribers on SQLite, one incident,
#     the dispatcher (concurrency $SESSIONS, unpaced) delivering the first $MAILS mails into
#     the sink through the real email notifier (lettre's SMTP session on our pooled sockets).
# It prints each round's mails per second, the medians and the ratio ours / ceiling. Our mails
# are the real multipart notification (about 3 KB); smtp-source's are $LENGTH bytes of payload.
#
# Environment: SMTP_PORT (12525), SESSIONS (16), LENGTH (1000), CEILING_MAILS (20000),
# SUBSCRIBERS (20000), MAILS (20000), ROUNDS (3).
#
# A manual benchmark: it refuses to run in CI, and sends mail to 127.0.0.1 only.
set -euo pipefail

if [[ -n "${CI:-}" ]]; then
    echo "bench/mail.sh is a manual benchmark and does not run in CI" >&2
    exit 0
fi

SMTP_PORT=${SMTP_PORT:-12525}
SESSIONS=${SESSIONS:-16}
LENGTH=${LENGTH:-1000}
CEILING_MAILS=${CEILING_MAILS:-20000}
SUBSCRIBERS=${SUBSCRIBERS:-20000}
MAILS=${MAILS:-20000}
ROUNDS=${ROUNDS:-3}

if ! command -v smtp-sink >/dev/null 2>&1 || ! command -v smtp-source >/dev/null 2>&1; then
    echo "== installing postfix (for smtp-sink and smtp-source)"
    if [[ $(id -u) -ne 0 ]]; then
        echo "bench/mail.sh needs postfix: apt-get install -y postfix (as root)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d -t cachet-mail.XXXXXX)
SINK_PID=
cleanup() {
    if [[ -n "$SINK_PID" ]] && kill -0 "$SINK_PID" 2>/dev/null; then
        kill -TERM "$SINK_PID" 2>/dev/null || true
        wait "$SINK_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building the benchmark test (release)"
(cd "$ROOT" && cargo test --release -p cachet-store --test notify_faults --no-run 2>&1 | tail -1)

# smtp-sink drops root privileges after binding (-u); `-c` counts, backlog 256.
USER_ARG=()
[[ $(id -u) -eq 0 ]] && USER_ARG=(-u nobody)
echo "== starting smtp-sink on 127.0.0.1:$SMTP_PORT"
smtp-sink "${USER_ARG[@]}" "127.0.0.1:$SMTP_PORT" 256 >"$WORK/sink.out" 2>&1 &
SINK_PID=$!
for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$SMTP_PORT") 2>/dev/null && break
    kill -0 "$SINK_PID" 2>/dev/null || { cat "$WORK/sink.out" >&2; exit 1; }
    sleep 0.1
done

ceiling() {
    local start end
    start=$(date +%s.%N)
    smtp-source -d -s "$SESSIONS" -l "$LENGTH" -m "$CEILING_MAILS" \
        -f bench@example.org -t sink@example.org "127.0.0.1:$SMTP_PORT"
    end=$(date +%s.%N)
    awk -v n="$CEILING_MAILS" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }'
}

ours() {
    local out
    out=$(cd "$ROOT" && CACHET_BENCH_SMTP_PORT=$SMTP_PORT CACHET_BENCH_CONCURRENCY=$SESSIONS \
        CACHET_BENCH_SUBSCRIBERS=$SUBSCRIBERS CACHET_BENCH_MAILS=$MAILS CACHET_BENCH_BARE=0 \
        cargo test --release -p cachet-store --test notify_faults -- --ignored --nocapture \
        bench_fanout_and_delivery_rate 2>&1)
    echo "$out" >>"$WORK/ours.log"
    grep -o 'mails into the SMTP sink in [^(]*([0-9.]*/s' <<<"$out" | grep -o '[0-9.]*/s' | tr -d '/s' \
        || { echo "$out" >&2; exit 1; }
}

median() {
    printf '%s\n' "$@" | sort -n | awk '{ rows[NR] = $0 } END { print rows[int((NR + 1) / 2)] }'
}

ceilings=()
ourss=()
for round in $(seq 1 "$ROUNDS"); do
    c=$(ceiling)
    o=$(ours)
    ceilings+=("$c")
    ourss+=("$o")
    echo "   round $round: smtp-source $c mails/s, cachet dispatcher $o mails/s"
done
c=$(median "${ceilings[@]}")
o=$(median "${ourss[@]}")
echo
echo "== results ($(date -u +%Y-%m-%d), $(nproc) cores, $SESSIONS sessions, median of $ROUNDS rounds)"
echo "| sender | mails | mails/s |"
echo "|---|---|---|"
echo "| smtp-source -d -s $SESSIONS -l $LENGTH | $CEILING_MAILS | $c |"
echo "| cachet dispatcher (concurrency $SESSIONS) | $MAILS | $o |"
awk -v a="$o" -v b="$c" 'BEGIN { printf "ours / ceiling: %.2f\n", a / b }'
