#!/usr/bin/env bash
# Re-resolve the locked environment after a change of pyproject.toml's dependencies:
#   bash scripts/lock.sh            (add --upgrade to move every pin to today's newest)
# writes requirements.lock (uv pip compile: exact versions with hashes, for CPython 3.11) and
# envs/disfit.yaml (the same pins for `snakemake --sdm conda`). scripts/env.sh keys its
# environment on the lock's hash, so the next main.sh/test.sh/CI run installs afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-uv}
if ! command -v "$UV" >/dev/null; then
  python3 -m venv /tmp/disfit-uv && /tmp/disfit-uv/bin/pip install -q uv && UV=/tmp/disfit-uv/bin/uv
fi
"$UV" pip compile pyproject.toml --extra test --python-version 3.11 --generate-hashes \
  --quiet "$@" -o requirements.lock
python3 - <<'PY'
import re

pins = re.findall(r"^([A-Za-z0-9_.-]+==[^\s;\\]+)", open("requirements.lock").read(), flags=re.M)
lines = [
    "# Conda environment for `snakemake --sdm conda`: Python 3.11 and the exact pins of",
    "# requirements.lock (written by scripts/lock.sh; do not edit by hand), then disfit itself.",
    "channels:",
    "  - conda-forge",
    "  - nodefaults",
    "dependencies:",
    "  - python=3.11",
    "  - pip",
    "  - pip:",
    *(f"      - {p}" for p in pins),
    "      - -e ../",
]
open("envs/disfit.yaml", "w").write("\n".join(lines) + "\n")
PY
echo "requirements.lock and envs/disfit.yaml updated"
