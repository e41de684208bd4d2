#!/usr/bin/env bash
# The test suite: lint (ruff, snakemake --lint) and pytest, including the tiny end-to-end run.
source "$(dirname "$0")/env.sh"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
snakemake --lint
exec python -m pytest "$@"
