#!/bin/sh
# install-deps.sh: make sure the Debian packages remdb builds and tests with
# are present; install the missing ones.  Idempotent: with everything in
# place it only checks, quickly, and changes nothing.
#   scripts/install-deps.sh          check, install what is missing
#   scripts/install-deps.sh --check  check only; exit 1 if something is missing
#   scripts/install-deps.sh --bench  also the benchmark peers
set -eu

BUILD="make gcc pkg-config librocksdb-dev libjansson-dev libxxhash-dev libsqlite3-dev libedit-dev libcurl4-openssl-dev libmicrohttpd-dev libutf8proc-dev libstemmer-dev libzstd-dev libsnappy-dev"
TEST="python3 clang libclang-rt-14-dev"
# the Python package: headers, an offline `pip install` into a venv, and the
# optional Pydantic and NumPy paths its tests cover
PYPKGS="python3-dev python3-setuptools python3-wheel python3-venv python3-pydantic python3-numpy"
BENCH="sqlite3 hyperfine python3-hnswlib python3-numpy wrk manpages manpages-dev zlib1g-dev"

want="$BUILD $TEST $PYPKGS"
[ "${1:-}" = "--bench" ] && want="$want $BENCH"

missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # python3 may come from elsewhere (pyenv): a working command is enough
    if [ "$p" = python3 ] && command -v python3 >/dev/null 2>&1; then continue; fi
    missing="$missing $p"
  fi
done

[ -z "$missing" ] && exit 0
if [ "${1:-}" = "--check" ]; then
  echo "missing packages:$missing" >&2
  exit 1
fi

echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# refresh the package lists only when a first attempt cannot find a package
if ! $SUDO apt-get install -y --no-install-recommends $missing; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends $missing
fi
