#!/usr/bin/env bash
# The test suite: lint (ruff, snakemake --lint) and pytest, including the tiny end-to-end run.
source "$(dirname "$0")/env.sh"
# the report test opens the page in Debian's chromium
if ! command -v chromium >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing Debian's chromium for the report test (once)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
fi
ruff check src tests benchmarks
ruff format --check src tests benchmarks
snakemake --lint
exec python -m pytest "$@"
