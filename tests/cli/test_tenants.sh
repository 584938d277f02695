# Tenants are isolated: nothing of tenant a is visible or writable from b.
. "${0%/*}/assert.sh"
issues_schema
run -t a init; [ "$RC" -eq 0 ] || die "init a"
run -t a schema add issues.json; [ "$RC" -eq 0 ] || die "schema a"
run -t a insert issues '{"key":"A1","title":"t","status":"open"}'
ID=$(cat "$OUT")
run -t b init; [ "$RC" -eq 0 ] || die "init b"
run -t b get "$ID"
[ "$RC" -ne 0 ] && grep -q "no entity with id" "$ERR" || die "b sees a's entity"
echo "ok b cannot get a's entity"
run -t b count issues
[ "$RC" -ne 0 ] && grep -q 'unknown table "issues"' "$ERR" || die "b sees a's table"
echo "ok b does not see a's table"
run -t b delete "$ID" --hard
[ "$RC" -ne 0 ] || die "b deleted a's entity"
run -t b update "$ID" '{"title":"x"}'
[ "$RC" -ne 0 ] || die "b updated a's entity"
run -t b sql "SELECT count(*) FROM issues"
[ "$RC" -ne 0 ] && grep -q "no such table: issues" "$ERR" || die "b's SQL sees a's table"
echo "ok b's SQL does not see a's table"
REMDB_TENANT=a "$R" -d "$DB" get "$ID" >/dev/null || die "a lost its entity"
echo "ok a still has its entity (REMDB_TENANT)"
run -t a verify; [ "$RC" -eq 0 ] || die "verify a"
run -t b verify; [ "$RC" -eq 0 ] || die "verify b"
echo "ok both tenants verify"
