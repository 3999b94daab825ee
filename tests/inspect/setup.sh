#!/usr/bin/env bash
# A virtualenv with a pinned inspect-ai, for the tests and the benchmark that
# read logs made by the real Inspect. Idempotent: a warm run only checks the
# version. Prints nothing on success but the venv's python path with `path`.
#
#   setup.sh          install when missing (python3 -m venv + pip from PyPI)
#   setup.sh path     print the venv's python (after installing when missing)
#
# Knobs: DEVLOOP_INSPECT_VENV (default /var/tmp/devloop-inspect-venv).
# Nothing here downloads a model: the tests use Inspect's mockllm/model.
set -euo pipefail

VERSION=0.3.285
VENV="${DEVLOOP_INSPECT_VENV:-/var/tmp/devloop-inspect-venv}"
PY="$VENV/bin/python"

have() {
  [ -x "$PY" ] && [ "$("$PY" -c 'import importlib.metadata as m; print(m.version("inspect-ai"))' 2>/dev/null)" = "$VERSION" ]
}

if ! have; then
  echo "setup.sh: installing inspect-ai==$VERSION into $VENV" >&2
  if ! python3 -m venv "$VENV" 2>/dev/null; then
    # Debian splits venv out of python3.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$VENV"
    else
      echo "setup.sh: python3 -m venv failed; install python3-venv" >&2
      exit 1
    fi
  fi
  "$PY" -m pip install -q --disable-pip-version-check "inspect-ai==$VERSION" >&2
  have || { echo "setup.sh: inspect-ai $VERSION did not install" >&2; exit 1; }
fi

if [ "${1:-}" = path ]; then
  echo "$PY"
fi
