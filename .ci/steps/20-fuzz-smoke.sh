#!/usr/bin/env bash
# Fuzz smoke: builds every cargo-fuzz target once (no sanitizer, stable toolchain) and runs
# each for a fixed time over its committed seed corpus and regression inputs, with the HTML /
# Markdown dictionaries. New inputs go to a temporary directory, so nothing is copied back into
# git. Any crash, timeout or out-of-memory fails the step (after all targets ran); libFuzzer
# leaves the failing input in fuzz/artifacts/<target>/.
#
# Time budget (8 minutes with the build, on the 2-core CI machine): CACHET_FUZZ_SMOKE_SECONDS
# per target (default 15; 10 targets = 2.5 minutes plus start-up) and the build. The fuzz
# crate's build is kept OUTSIDE the fresh clone CI runs in ($CACHET_FUZZ_TARGET_DIR, default
# ~/.cache/cachet-rs/fuzz-target), so later runs only rebuild what changed: a cold build of
# every dependency costs about 8.5 CPU-minutes (measured: 12 min wall while other jobs shared
# the two cores), an incremental one (cachet-core and the targets) about 4.5 CPU-minutes;
# see fuzz/README.md. Set CACHET_FUZZ_TARGET_DIR=fuzz/target to build inside the clone.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
seconds=${CACHET_FUZZ_SMOKE_SECONDS:-15}
target_dir=${CACHET_FUZZ_TARGET_DIR:-$HOME/.cache/cachet-rs/fuzz-target}
case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
mkdir -p "$target_dir"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz missing: installing"
  cargo install cargo-fuzz --locked
fi
cargo fuzz --version

cd "$repo/fuzz"
start=$(date +%s)
echo "--> cargo fuzz build --sanitizer none --target-dir $target_dir"
cargo fuzz build --sanitizer none --target-dir "$target_dir"
echo "build: $(( $(date +%s) - start )) s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failed=()
for target in $(cargo fuzz list); do
  case "$target" in
    markdown_sanitize | template_render | validate_inputs) dict="$repo/fuzz/dict/markdown.dict" ;;
    *) dict="$repo/fuzz/dict/html.dict" ;;
  esac
  dirs=("$work/$target")
  mkdir -p "$work/$target"
  for d in "$repo/fuzz/corpus/$target" "$repo/fuzz/regressions/$target"; do
    [ -d "$d" ] && dirs+=("$d")
  done
  echo "--> $target for ${seconds}s ($(basename "$dict"))"
  if ! cargo fuzz run --sanitizer none --target-dir "$target_dir" "$target" "${dirs[@]}" -- \
      -max_total_time="$seconds" -dict="$dict" -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 2>"$work/$target.log"; then
    tail -n 60 "$work/$target.log" >&2
    failed+=("$target")
  else
    grep -E '^(#[0-9]+\s+DONE|stat::number_of_executed_units|Done [0-9]+ runs)' "$work/$target.log" || tail -n 3 "$work/$target.log"
  fi
done
echo "fuzz smoke: $(( $(date +%s) - start )) s in all"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz targets failed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
