# Sourced by main.sh and test.sh: create (once) and activate disfit's virtual environment.
# It is installed from requirements.lock (every dependency pinned, with hashes) and lives
# outside the checkout in a folder keyed by the lock's hash, so fresh clones (and CI) reuse it
# and any change of a dependency means a fresh install. DISFIT_VENV puts it elsewhere.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${DISFIT_PYTHON:-$(command -v python3.11 || command -v python3)}
key=$(
  "$PYTHON" -c "import hashlib,sys;print(hashlib.sha256(open('requirements.lock','rb').read()).hexdigest()[:12])"
)
DISFIT_VENV=${DISFIT_VENV:-$HOME/.cache/disfit/venv-$key}
if [ ! -x "$DISFIT_VENV/bin/python" ] || [ ! -f "$DISFIT_VENV/.complete" ]; then
  pyver=$("$PYTHON" -c 'import sys;print("%d.%d" % sys.version_info[:2])')
  if [ "$pyver" != "3.11" ]; then
    echo "warning: requirements.lock is resolved for Python 3.11; $PYTHON is $pyver" >&2
  fi
  echo "creating the disfit environment from requirements.lock in $DISFIT_VENV (once, a few minutes)"
  rm -rf "$DISFIT_VENV"
  "$PYTHON" -m venv "$DISFIT_VENV"
  log="$DISFIT_VENV/install.log"
  {
    "$DISFIT_VENV/bin/python" -m pip install --require-hashes --no-deps -r requirements.lock \
      && "$DISFIT_VENV/bin/python" -m pip install --no-deps -e . \
      && "$DISFIT_VENV/bin/python" -m pip check \
      && bash scripts/rustify_eko.sh "$DISFIT_VENV/bin/python"
  } > "$log" 2>&1 || { tail -n 20 "$log" >&2; echo "disfit: error: installing from requirements.lock failed; see $log" >&2; exit 1; }
  touch "$DISFIT_VENV/.complete"
else
  # dependencies are in place; only (re)link this checkout's package
  "$DISFIT_VENV/bin/python" -m pip install -q --no-deps -e . > "$DISFIT_VENV/relink.log" 2>&1 \
    || { cat "$DISFIT_VENV/relink.log" >&2; exit 1; }
fi
export PATH="$DISFIT_VENV/bin:$PATH"
