#!/bin/sh
# test_pip_install.sh: the README's offline install, checked.  Into a fresh
# venv (with the system's site packages, for setuptools and wheel):
#   pip install --no-build-isolation --no-index ./python
# then the example runs from outside the checkout against the installed copy.
# PYTHON (default python3) chooses the interpreter.
set -eu
PY=${PYTHON:-python3}
root=$(cd "$(dirname "$0")/../.." && pwd)
# setuptools before 70.1 builds wheels through the wheel package
if ! "$PY" -c 'import setuptools, sys
v = tuple(int(x) for x in setuptools.__version__.split(".")[:2])
if v < (70, 1):
    import wheel' 2>/dev/null; then
  echo "pip install test: skipped: $PY lacks setuptools or wheel (Debian: python3-setuptools python3-wheel)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m venv --system-site-packages "$tmp/venv"
"$tmp/venv/bin/python" -m pip install -q --no-build-isolation --no-index "$root/python" \
  >"$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; echo "pip install test: pip failed"; exit 1; }
cd "$tmp"
where=$("$tmp/venv/bin/python" -c 'import remdb; print(remdb.__file__)')
case "$where" in
  "$tmp/venv/"*) ;;
  *) echo "pip install test: remdb imported from $where, not the venv"; exit 1 ;;
esac
out=$("$tmp/venv/bin/python" "$root/examples/agent_memory.py" "$tmp/db")
echo "$out" | grep -qx 'verify: ok' || { echo "pip install test: bad output: $out"; exit 1; }
# the typing stubs are installed beside the module
[ -f "$(dirname "$where")/_remdb.pyi" ] && [ -f "$(dirname "$where")/py.typed" ] ||
  { echo "pip install test: stubs missing"; exit 1; }
echo "pip install test: passed ($("$tmp/venv/bin/python" -c 'import sys; print(sys.version.split()[0])'), offline, from the checkout)"
