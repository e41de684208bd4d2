# Sourced by main.sh and test.sh: create (once) and activate disfit's virtual environment.
# It lives outside the checkout, keyed by pyproject.toml, so fresh clones (and CI) reuse it;
# set DISFIT_VENV to put it elsewhere.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
key=$(python3 -c "import hashlib,sys;print(hashlib.sha256(open('pyproject.toml','rb').read()).hexdigest()[:12])")
DISFIT_VENV=${DISFIT_VENV:-$HOME/.cache/disfit/venv-$key}
if [ ! -x "$DISFIT_VENV/bin/python" ] || [ ! -f "$DISFIT_VENV/.complete" ]; then
  echo "creating the disfit environment in $DISFIT_VENV (once)"
  rm -rf "$DISFIT_VENV"
  python3 -m venv "$DISFIT_VENV"
  "$DISFIT_VENV/bin/python" -m pip install -q --upgrade pip
  "$DISFIT_VENV/bin/python" -m pip install -q -e ".[test]"
  touch "$DISFIT_VENV/.complete"
else
  # dependencies are in place; only (re)link this checkout's package
  "$DISFIT_VENV/bin/python" -m pip install -q --no-deps -e .
fi
export PATH="$DISFIT_VENV/bin:$PATH"
