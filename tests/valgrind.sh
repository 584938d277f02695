#!/bin/sh
# valgrind.sh BIN: a short CLI session (init, schema, import, insert, get,
# update, delete, find, SQL with a join, GROUP BY, DML and EXPLAIN, export,
# verify, stats, backup), every command run under
#
#   valgrind --error-exitcode=99 --leak-check=full
#            --errors-for-leak-kinds=definite --track-origins=no -q
#
# plus tests/valgrind.supp if it exists.  None is needed today: the session
# is clean without suppressions.  Should one be needed, it may only name
# frames inside RocksDB, libstdc++ or SQLite, never remdb's own code.
# Fails on any valgrind error (exit 99), on a command that fails, or on
# output that is not what the command should print.  Prints one line per
# command with its time, then the total.
#
#   VALGRIND_KEEP=1   keep the scratch directory (printed) afterwards
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: tests/valgrind.sh REMDB_BINARY" >&2
  exit 2
fi
case $1 in
  /*) BIN=$1 ;;
  *) BIN=$PWD/$1 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
SAMPLE=$HERE/../sample
SUPP=$HERE/valgrind.supp
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
  exit 2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/remdb-valgrind.XXXXXX") || exit 2
if [ "${VALGRIND_KEEP:-0}" = 1 ]; then
  echo "valgrind.sh: scratch directory $TMP"
else
  trap 'rm -rf "$TMP"' EXIT
fi
trap 'exit 130' INT TERM
DB=$TMP/db
unset REMDB_PATH REMDB_TENANT

VG="valgrind --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite --track-origins=no -q --vgdb=no"
if [ -f "$SUPP" ]; then
  VG="$VG --suppressions=$SUPP"
fi

failed=0
ran=0
start=$(date +%s)

# vg NAME [STDIN-FILE] -- ARGS...: run BIN ARGS under valgrind; $OUT holds
# stdout.  Valgrind's own lines are on stderr, shown when something fails.
vg() {
  name=$1
  shift
  input=/dev/null
  if [ "$1" != "--" ]; then
    input=$1
    shift
  fi
  shift # --
  t0=$(date +%s)
  # shellcheck disable=SC2086
  $VG "$BIN" "$@" <"$input" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  t1=$(date +%s)
  ran=$((ran + 1))
  OUT=$(cat "$TMP/out")
  # valgrind's warning about fcntl F_SET_RW_HINT (RocksDB) is not an error
  grep -v 'Warning: unimplemented fcntl command' "$TMP/err" >"$TMP/err2"
  if [ "$rc" -eq 99 ]; then
    echo "FAIL  $name: valgrind found errors ($((t1 - t0)) s)"
    sed 's/^/      /' "$TMP/err2"
    failed=$((failed + 1))
    return 1
  elif [ "$rc" -ne 0 ]; then
    echo "FAIL  $name: exit $rc ($((t1 - t0)) s)"
    sed 's/^/      /' "$TMP/err2" | head -40
    failed=$((failed + 1))
    return 1
  fi
  echo "ok    $name ($((t1 - t0)) s)"
  return 0
}

# check DESC COMMAND...: a check of the last output
check() {
  desc=$1
  shift
  if ! "$@"; then
    echo "FAIL  $desc"
    printf '%s\n' "$OUT" | head -20 | sed 's/^/      /'
    failed=$((failed + 1))
  fi
}
has() { printf '%s\n' "$OUT" | grep -q -- "$1"; }
lines() { [ "$(printf '%s\n' "$OUT" | grep -c .)" -eq "$1" ]; }
is_uuid() {
  printf '%s\n' "$1" |
    grep -Eqx '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
}

vg "init" -- -d "$DB" init
check "init lists the built-in tables" has resources
vg "schema add issues" -- -d "$DB" schema add "$SAMPLE/schemas/issues.json"
vg "import issues" -- -d "$DB" import issues "$SAMPLE/data/issues.jsonl"

cat >"$TMP/new.jsonl" <<'EOF'
{"key":"VG-1","title":"valgrind one","status":"open","priority":1,"assignee":"ken","labels":["a"]}
{"key":"VG-2","title":"valgrind two","status":"in_progress","priority":3,"due_at":"2026-01-02T03:04:05+01:00"}
EOF
vg "insert (2 lines from stdin)" "$TMP/new.jsonl" -- -d "$DB" insert issues -
id1=$(printf '%s\n' "$OUT" | sed -n 1p)
id2=$(printf '%s\n' "$OUT" | sed -n 2p)
check "insert printed two ids" is_uuid "$id1"
check "insert printed two ids" is_uuid "$id2"

vg "get" -- -d "$DB" get "$id1"
check "get returns the entity" has '"VG-1"'
vg "update" -- -d "$DB" update "$id1" \
  '{"status":"closed","labels":null,"priority":2}'
vg "delete (soft)" -- -d "$DB" delete "$id1"
vg "delete --hard" -- -d "$DB" delete "$id2" --hard
vg "get --deleted" -- -d "$DB" get "$id1" --deleted
check "the soft-deleted entity has deleted_at" has '"deleted_at":"2'
check "update changed the status" has '"closed"'

vg "find" -- -d "$DB" find issues status open
check "find returns open issues" has '"open"'

# a self-join: issues sharing an assignee, grouped by status
vg "sql join + GROUP BY" -- -d "$DB" sql \
  "SELECT a.status, count(*) AS pairs, max(b.priority) AS top FROM issues a
   JOIN issues b ON b.assignee = a.assignee AND b.key > a.key
   WHERE a.priority <= 4 GROUP BY a.status HAVING pairs > 0
   ORDER BY pairs DESC, a.status" --format json
check "the join returned groups" has '"pairs"'
vg "sql UPDATE" -- -d "$DB" sql \
  "UPDATE issues SET status = 'in_progress'
   WHERE priority = 5 AND status = 'open'"
vg "sql --explain (join)" -- -d "$DB" sql --explain \
  "SELECT a.key, b.key FROM issues a JOIN issues b ON b.assignee = a.assignee
   WHERE a.priority BETWEEN 2 AND 3 ORDER BY a.priority"
check "EXPLAIN shows an index route" has 'index range on priority'

vg "export csv" -- -d "$DB" export issues --format csv
check "export has the header and 60 rows" lines 61
vg "verify" -- -d "$DB" verify
vg "stats" -- -d "$DB" stats
check "stats names the tables" has '"issues"'
vg "backup" -- -d "$DB" backup "$TMP/copy"
vg "verify the backup" -- -d "$TMP/copy" verify

end=$(date +%s)
echo "valgrind.sh: $ran commands under valgrind in $((end - start)) s," \
  "$failed failed"
[ "$failed" -eq 0 ]
