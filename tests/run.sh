#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need when it is missing
# (the wasm32-wasip2 target, Debian's Chromium and Prometheus, the pinned Playwright of
# tests/browser, kubernetes-validate), then runs every unit, doc and end-to-end test. The
# Python and JavaScript tests have wasmload install componentize-py (pip) and componentize-qjs
# (npm) into target/wasmload-cache itself, the way a user's first run does.
set -euo pipefail
cd "$(dirname "$0")/.."

# Guest components build for wasm32-wasip2.
rustup target add wasm32-wasip2 >/dev/null
# The browser tests drive Debian's Chromium with Playwright.
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser tests ..."
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
# A real Prometheus server scrapes a coordinated run.
if [ ! -x /usr/bin/prometheus ]; then
  echo "installing Debian's prometheus for the coordinator's scrape test ..."
  apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
# Rendered Kubernetes manifests are checked against the Kubernetes schemas.
if [ ! -x target/py-tools/bin/kubernetes-validate ]; then
  echo "installing kubernetes-validate for the Kubernetes tests ..."
  python3 -m venv target/py-tools
  target/py-tools/bin/pip install -q kubernetes-validate==1.31.0
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund)
fi

# The native crates (the workspace's default members: the host, the guest SDK, the demo API).
# The guest crates hold no native tests; the end-to-end tests build them for wasm32-wasip2.
cargo test --release
