#!/usr/bin/env bash
# Cache busting: does a client that varies what it asks for (random query strings, random
# `Accept-Language`) get past the snapshot cache? In ONE run against the release `cachet`
# binary on the big data set of bench/load.sh, with automatic localisation on:
#
#   1. the cached rate of `/` (gzip) at 64 connections;
#   2. the rate of `/?b=<random>` with a random `Accept-Language` per request, same settings;
#
# each ROUNDS times, the order alternating, the median round of each reported. Both runs go through the same
# wrk Lua script (only its mode differs), so the load generator's own cost is the same on
# both sides. Reports the ratio busting / cached (target >= 80%), the number of non-2xx
# answers (must be 0: a 429 would be a cheap answer, not a served page), and the cachet
# process's peak RSS over the whole run (VmHWM; target < 64 MB).
#
#   bench/cache_busting.sh     # about 3 minutes; DURATION, ROUNDS, CONNECTIONS, THREADS
#
# Environment: as bench/lib.sh, plus DURATION (10s), ROUNDS (3), CONNECTIONS (64),
# THREADS (2). Exit status 0 when both targets are met, 3 when not.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_refuse_ci bench/cache_busting.sh
bench_require wrk curl sqlite3
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

bench_build
bench_workdir
bench_seed_big
bench_setting automatic_localization 1
bench_start_cachet

cat >"$WORK/busting.lua" <<'EOF'
-- mode "cached": always `/`, one language; mode "busting": a random query string and a
-- random Accept-Language on every request. The same work per request in both modes.
local mode = "cached"
local langs = { "de", "fr", "en", "es", "it", "ja", "zh", "pt", "nl", "pl", "xx", "tlh", "*" }
local counter = 0

function init(args)
  mode = args[1] or "cached"
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  counter = counter + 1
  local a = math.random(0, 0x3fffffff)
  local b = math.random(0, 0x3fffffff)
  local l1 = langs[math.random(#langs)]
  local l2 = langs[math.random(#langs)]
  local path, lang
  if mode == "busting" then
    path = string.format("/?b=%x%x%x", a, b, counter)
    lang = string.format("%s-%x,%s;q=0.%d", l1, a % 0xffff, l2, b % 9 + 1)
  else
    -- The same formatting work, thrown away.
    local _ = string.format("/?b=%x%x%x", a, b, counter) .. string.format("%s-%x,%s;q=0.%d", l1, a % 0xffff, l2, b % 9 + 1)
    path = "/"
    lang = "en"
  end
  return wrk.format("GET", path, { ["Accept-Encoding"] = "gzip", ["Accept-Language"] = lang })
end
EOF

curl -fsS -o /dev/null -H 'Accept-Encoding: gzip' "$OURS/"
size=$(curl -fsS -H 'Accept-Encoding: gzip' "$OURS/" | wc -c)
echo "   / is $size bytes gzip; cachet RSS before the load: $(bench_rss) MB (peak $(bench_hwm) MB)"

median() {
    printf '%s\n' "$@" | sort -n -k1,1 | awk '{ rows[NR] = $0 } END { print rows[int((NR + 1) / 2)] }'
}

cached_rounds=()
busting_rounds=()
bad_total=0
for round in $(seq 1 "$ROUNDS"); do
    # The order alternates, so a slow drift of the machine (a neighbour's build) does not
    # always land on the same side.
    modes=(cached busting)
    ((round % 2 == 0)) && modes=(busting cached)
    echo "== round $round/$ROUNDS: wrk -t$THREADS -c$CONNECTIONS -d$DURATION, ${modes[0]} then ${modes[1]}"
    for mode in "${modes[@]}"; do
        read -r rps p99 bad < <(bench_wrk "$WORK/wrk.log" "$OURS/" -t"$THREADS" \
            -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/busting.lua" -- "$mode")
        echo "   $mode: $rps req/s, p99 $p99, non-2xx $bad, cachet peak RSS $(bench_hwm) MB"
        bad_total=$((bad_total + bad))
        if [[ "$mode" == cached ]]; then
            cached_rounds+=("$rps $p99")
        else
            busting_rounds+=("$rps $p99")
        fi
    done
done

read -r cached_rps cached_p99 < <(median "${cached_rounds[@]}")
read -r busting_rps busting_p99 < <(median "${busting_rounds[@]}")
ratio=$(awk -v a="$busting_rps" -v b="$cached_rps" 'BEGIN { printf "%.0f", 100 * a / b }')
peak=$(bench_hwm)
ratio_ok=$(awk -v r="$ratio" 'BEGIN { print (r >= 80) ? "met" : "NOT met" }')
peak_ok=$(awk -v p="$peak" 'BEGIN { print (p < 64) ? "met" : "NOT met" }')

echo
echo "== results ($(date -u +%Y-%m-%d), $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, median of $ROUNDS rounds, $FRAMEWORK, gzip, automatic localisation on)"
echo '| run | req/s | p99 |'
echo '|---|---|---|'
echo "| \`/\` cached | $cached_rps | $cached_p99 |"
echo "| \`/?b=<random>\` + random \`Accept-Language\` | $busting_rps | $busting_p99 |"
echo "busting / cached: $ratio% (target >= 80%: $ratio_ok)"
echo "non-2xx answers over all runs: $bad_total (must be 0)"
echo "cachet peak RSS (VmHWM) over the whole run: $peak MB (target < 64 MB: $peak_ok); RSS now $(bench_rss) MB"
if [[ "$ratio_ok" == met && "$peak_ok" == met && "$bad_total" == 0 ]]; then
    exit 0
fi
exit 3
