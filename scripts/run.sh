#!/usr/bin/env bash
# Sets up .venv/ and runs the pipeline on seeds/ (extra arguments go to `govreports run`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/govreports run "$@"
