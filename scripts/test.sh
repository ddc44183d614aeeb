#!/usr/bin/env bash
# Sets up .venv/ and runs the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The report test renders the HTML report in headless Chromium (Debian's package).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium for the report rendering test (apt-get)..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "warning: could not install chromium; the report rendering test will fail (GOVREPORTS_SKIP_BROWSER_TEST=1 skips it)"
fi
exec .venv/bin/python -m pytest -q "$@"
