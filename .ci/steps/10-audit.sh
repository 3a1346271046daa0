#!/usr/bin/env bash
# Dependency audit: cargo audit against a local snapshot of the RustSec advisory database
# (CI cannot fetch it), over the main workspace's Cargo.lock and fuzz/Cargo.lock.
# A vulnerability fails the step unless .cargo/audit.toml ignores it with a reason;
# warnings (unmaintained, unsound, yanked) are printed for review (see SECURITY.md).
#
# The database: $CACHET_ADVISORY_DB if set, else the first of the machine-local fallback
# directories the loop below tries (the snapshot is not part of the repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

if ! cargo audit --version >/dev/null 2>&1; then
  echo "cargo-audit missing: installing (takes ~8 minutes on 2 cores)"
  cargo install cargo-audit --locked
fi
cargo audit --version

db=""
for candidate in "${CACHET_ADVISORY_DB:-}" "$repo/../shared/advisory-db" /work/shared/advisory-db; do
  if [ -n "$candidate" ] && [ -d "$candidate/crates" ]; then
    db=$(cd "$candidate" && pwd)
    break
  fi
done
if [ -z "$db" ]; then
  echo "advisory database not found: set CACHET_ADVISORY_DB or provide ../shared/advisory-db" >&2
  if [ "${CI:-}" = "true" ]; then
    exit 1
  fi
  echo "not in CI: skipping the audit" >&2
  exit 0
fi
echo "advisory database: $db ($(head -n1 "$db/SNAPSHOT.txt" 2>/dev/null || echo 'no SNAPSHOT.txt'))"

ignored=$(grep -oE 'RUSTSEC-[0-9]{4}-[0-9]{4}' .cargo/audit.toml | sort -u | tr '\n' ' ')
echo "ignored with a reason in .cargo/audit.toml (reviewed in SECURITY.md): ${ignored:-none}"

status=0
for lock in Cargo.lock fuzz/Cargo.lock; do
  if [ ! -f "$lock" ]; then
    echo "$lock missing" >&2
    status=1
    continue
  fi
  echo "--> cargo audit $lock"
  # Run from the repo root so .cargo/audit.toml applies to both lock files.
  if ! cargo audit --no-fetch --db "$db" --file "$lock"; then
    status=1
  fi
done
exit "$status"
