#!/usr/bin/env bash
# Switch the eko of a Python environment to its Rust backend (eko-rs), as eko's own CI does
# (eko's rustify.sh): apply the patch files eko ships next to its evolution-operator modules.
#   bash scripts/rustify_eko.sh [python]     (default: python3 on PATH)
# Run once after installing eko and eko-rs of the same version (scripts/env.sh does it);
# running it again is a no-op. `disfit theory` logs which backend its eko uses.
set -euo pipefail
PY=${1:-python3}
"$PY" - <<'PY'
import importlib.metadata as md
import sys

versions = {name: md.version(name) for name in ("eko", "eko-rs")}
if versions["eko"] != versions["eko-rs"]:
    sys.exit(f"disfit: error: eko {versions['eko']} and eko-rs {versions['eko-rs']} differ; "
             "install the same version of both (requirements.lock pins them)")
PY
site=$("$PY" -c "import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec('eko').origin).parents[1])")
ops="$site/eko/evolution_operator"
if grep -q "^import ekors" "$ops/__init__.py"; then
  exit 0  # patched already
fi
for module in __init__ operator_matrix_element quad_ker; do
  patch --forward --quiet -p2 -d "$site" < "$ops/$module.py.patch"
done
find "$ops" -name "*.pyc" -delete
