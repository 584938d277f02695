#!/bin/sh
# test-install.sh BUILD: `make install` into a scratch prefix, then build the
# README's example against it with pkg-config alone, and run it.
set -eu
BUILD=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s BUILD="$BUILD" install PREFIX="$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
cc -std=c11 -Wall -Wextra -Werror examples/notes.c \
  $(pkg-config --cflags --libs remdb) -Wl,-rpath,"$tmp/prefix/lib" \
  -o "$tmp/notes"
out=$("$tmp/notes" "$tmp/db")
echo "$out" | grep -q '"text":"remember the milk"' || { echo "install test: bad output: $out"; exit 1; }
echo "$out" | tail -n 1 | grep -qx 'remember the milk' || { echo "install test: SQL row missing"; exit 1; }
echo "$out" | grep -q '^exact over 1 filtered rows$' || { echo "install test: no search plan: $out"; exit 1; }
echo "$out" | grep -q '"score":' || { echo "install test: no search hit: $out"; exit 1; }
"$tmp/prefix/bin/remdb" -d "$tmp/db" verify >/dev/null
# the shared library exports the API and nothing else
leaked=$(nm -D --defined-only "$tmp/prefix/lib/libremdb.so.0" | grep -v ' remdb_' || true)
[ -z "$leaked" ] || { echo "install test: libremdb.so exports more than remdb_*:"; echo "$leaked" | head; exit 1; }
echo "install test: passed (headers, library, exports, pkg-config, CLI)"
