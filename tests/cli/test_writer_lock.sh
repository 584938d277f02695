#!/bin/bash
# A second writer process on an open database gets a clear error, while the
# first keeps going.  `insert TABLE -` keeps the database open while it reads
# stdin, so a FIFO holds it open for as long as the test needs.
. "${0%/*}/lib.sh"

# a writer that died must fail the checks, not kill this script by SIGPIPE
trap '' PIPE
expect_ok remdb init
mkfifo feed ids
remdb insert agents - <feed >ids 2>writer.err &
writer=$!
exec {feed_fd}>feed # open the FIFOs; the writer now waits for lines
exec {ids_fd}<ids
echo '{"name":"first"}' >&"$feed_fd"
# the writer prints the id once the line is committed: wait for it (no
# deadline: a read of the FIFO blocks until then, or ends if it died)
first_id=""
read -r first_id <&"$ids_fd"
expect_uuid "$first_id" "the first writer committed its first line"

# a second writer: a clear error, nothing written
expect_fail 'locked' remdb insert agents '{"name":"second"}'
expect_contains "$ERR" "$DB" "the lock error names the database"
expect_fail 'locked' remdb schema add /dev/null
expect_fail 'locked' remdb delete 00000000-0000-4000-8000-000000000000
expect_fail 'locked' remdb init
# readers still work (read-only opens take no lock)
expect_count 1 remdb count agents
expect_ok remdb find agents name first
expect_lines 1 "$OUT" "a reader sees the first writer's committed line"

# the first writer goes on
echo '{"name":"third"}' >&"$feed_fd"
exec {feed_fd}>&-
rest=$(cat <&"$ids_fd")
exec {ids_fd}<&-
wait "$writer"
wrc=$?
expect_eq "$wrc" 0 "the first writer's exit code"
expect_eq "$(nlines "$rest")" 1 "the first writer printed its second id"
expect_eq "$(cat writer.err)" "" "the first writer's stderr"
expect_count 2 remdb count agents
expect_ok remdb find agents name second
expect_eq "$OUT" "" "the refused writer wrote nothing"
# once the first writer is gone, writing works again
expect_ok remdb insert agents '{"name":"after"}'
expect_count 3 remdb count agents

finish
