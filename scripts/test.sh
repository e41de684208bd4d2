#!/usr/bin/env bash
# The test suite: lint (ruff, snakemake --lint) and pytest, including the tiny end-to-end run.
source "$(dirname "$0")/env.sh"
ruff check src tests
ruff format --check src tests
snakemake --lint
exec python -m pytest "$@"
