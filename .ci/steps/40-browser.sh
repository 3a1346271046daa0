#!/usr/bin/env bash
# Browser end-to-end tests of the dashboard, sign-in with TOTP and the one-time setup
# in Debian's headless Chromium (playwright-core drives it; axe-core checks accessibility),
# against the DEBUG standalone binary that `cargo test --workspace` already built.
#
# Installs Chromium (apt) and the npm packages (`npm ci`, from e2e/package-lock.json) only when
# missing; builds nothing new (`cargo build --workspace --bin cachet` is then a no-op); runs
# e2e/run.mjs under a time cap. Screenshots land in e2e/artifacts/ (git-ignored). Then
# e2e/statuspage_client.mjs drives Statuspage's management API with the `statuspage` client
# from the npm registry (no browser).
set -euo pipefail
cd "$(dirname "$0")/../.."

TIME_CAP="${E2E_TIME_CAP:-240}"

if [ ! -x /usr/bin/chromium ]; then
  echo "browser: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
/usr/bin/chromium --version

if ! command -v node >/dev/null 2>&1; then
  echo "browser: installing Node.js"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi
node --version

if [ ! -d e2e/node_modules/playwright-core ] || [ ! -d e2e/node_modules/axe-core ] \
  || [ ! -d e2e/node_modules/statuspage ] \
  || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
  echo "browser: npm ci (playwright-core, axe-core, statuspage; no browser download)"
  (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

echo "browser: the debug binary (a no-op after cargo test --workspace)"
cargo build --workspace --bin cachet

echo "browser: running e2e/run.mjs (cap ${TIME_CAP} s)"
cd e2e
timeout --kill-after=10 "${TIME_CAP}" node run.mjs

echo "browser: running e2e/statuspage_client.mjs (a Statuspage client from npm)"
timeout --kill-after=10 120 node statuspage_client.mjs
