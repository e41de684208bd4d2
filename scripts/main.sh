#!/usr/bin/env bash
# The main job: the default workflow (config/config.yaml) on 2 cores.
source "$(dirname "$0")/env.sh"
exec snakemake --cores "${CORES:-2}" "$@"
