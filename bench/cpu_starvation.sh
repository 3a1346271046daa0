#!/usr/bin/env bash
# A saturated host: does the release `cachet` binary still render and serve its page when the
# host's own work takes every core? (An embedded status page lives beside the service it
# reports on, and is read most when that service is in trouble.)
#
#   load:    HOGS busy loops at normal priority (2 per core by default), started after the
#            server (`serve --demo`) is up and before its page was ever rendered;
#   visitor: `curl /` (the big page, not yet cached) and `/api/v2/summary.json` every half
#            second for DURATION seconds.
#
# Reported: the visitor's answers by status and the slowest time. The target: every answer
# 200. Render threads that dropped to batch priority (nice 19, as password hashing does) got
# about 1/70 of a core beside each busy loop, missed the render deadline every time, and the
# page answered 503 for as long as the load lasted.
#
#   bench/cpu_starvation.sh                     # about 30 s
#   HOGS=8 DURATION=60 bench/cpu_starvation.sh
#
# Environment: as bench/lib.sh, plus HOGS (2 per core), DURATION (seconds, 20), SERVE_ARGS.
# Exit status 0 when the target is met, 3 when not.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_refuse_ci bench/cpu_starvation.sh
bench_require curl
HOGS=${HOGS:-$((2 * $(nproc)))}
DURATION=${DURATION:-20}

bench_build
bench_workdir
# The sample page (`--demo`): what matters is that its first render happens under the load.
# shellcheck disable=SC2086 # SERVE_ARGS is a list of arguments
bench_start_cachet --demo ${SERVE_ARGS:-}

echo "== $HOGS busy loops at normal priority"
for _ in $(seq 1 "$HOGS"); do
    (while :; do :; done) &
    BENCH_PIDS+=($!)
done
sleep 2

echo "== a visitor every half second for $DURATION s"
declare -A codes=()
slowest=0
end=$(($(date +%s) + DURATION))
while [[ $(date +%s) -lt $end ]]; do
    for path in / /api/v2/summary.json; do
        out=$(curl -s -o /dev/null -m 15 -w '%{http_code} %{time_total}' "$OURS$path" || true)
        code=${out%% *}
        time=${out##* }
        codes[$code]=$((${codes[$code]:-0} + 1))
        slowest=$(awk -v a="$slowest" -v b="${time:-0}" 'BEGIN { print (b > a) ? b : a }')
    done
    sleep 0.5
done

echo
echo "answers by status:"
for code in "${!codes[@]}"; do
    echo "  $code: ${codes[$code]}"
done
echo "slowest answer: ${slowest} s"
if [[ ${#codes[@]} -eq 1 && -n "${codes[200]:-}" ]]; then
    echo "target met: every answer 200 under $HOGS busy loops"
else
    echo "target NOT met: some answers were not 200" >&2
    exit 3
fi
