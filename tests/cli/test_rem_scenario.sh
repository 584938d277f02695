# The REM acceptance scenario: people, tickets, carriers and source files
# with authored/modified edges; each question is one CLI command or one
# SQL statement that joins search or traversal results with tables.
. "${0%/*}/assert.sh"
ok init
cat > people.json <<'JSON'
{"name":"people","properties":{"name":{"type":"string"},"role":{"type":"string"}},
 "key_field":"name","indexed_fields":["role"]}
JSON
cat > tickets.json <<'JSON'
{"name":"tickets","properties":{"key":{"type":"string"},"title":{"type":"string"}},
 "key_field":"key"}
JSON
cat > carriers.json <<'JSON'
{"name":"carriers","properties":{"name":{"type":"string"},"scac":{"type":"string"}},
 "key_field":"name"}
JSON
for f in people tickets carriers; do ok schema add $f.json; done
for p in Ada Grace Linus Barbara Ken Dennis; do
  ok insert people "{\"name\":\"$p\",\"role\":\"engineer\"}"
  eval "P_$p=\$(cat \$OUT)"
done
ok insert tickets '{"key":"TAP-1234","title":"Login fails after OAuth refresh"}'
ok insert tickets '{"key":"#12345","title":"Invoice totals off by one"}'
ok insert carriers '{"name":"DHL","scac":"DHLC"}'
ok insert carriers '{"name":"FedEx","scac":"FDEG"}'
file() { # name, content, created_at
  ok insert resources "{\"uri\":\"file:///src/$1\",\"chunk_ordinal\":0,\"name\":\"$1\",\"content\":\"$2\",\"created_at\":\"$3\"}"
}
file auth.py "Authentication: login, OAuth token exchange and session security checks" 2025-03-01T10:00:00Z
F_auth=$(cat $OUT)
file login.py "Login form handler: verifies the password and starts an authenticated session" 2025-03-05T10:00:00Z
F_login=$(cat $OUT)
file oauth.py "OAuth provider integration for authentication, token refresh and security" 2025-06-20T10:00:00Z
F_oauth=$(cat $OUT)
file billing.py "Invoice generation and payment processing" 2025-03-02T10:00:00Z
file report.py "Monthly sales report rendering to PDF" 2025-04-01T10:00:00Z
ok edge add "$P_Ada" "$F_auth" authored
ok edge add "$P_Grace" "$F_login" authored
ok edge add "$P_Linus" "$F_oauth" authored
ok edge add "$P_Barbara" "$F_auth" modified
ok edge add "$P_Ada" "$F_oauth" modified
ok edge add "$P_Ken" "$F_login" modified --props '{"lines":12}'

# lookups: TAP-1234, #12345 and DHL, each one command
ok lookup TAP-1234
out_has '"title":"Login fails after OAuth refresh"'
ok lookup '#12345'
out_has '"title":"Invoice totals off by one"'
ok lookup DHL
out_has '"scac":"DHLC"'
ok lookup nonexistent-key
out_is ""

# search for authentication code: the three auth files come first
ok search resources "authentication code" -k 5
head -n 3 "$OUT" | python3 -c "
import json, sys
names = sorted(json.loads(l)['entity']['name'] for l in sys.stdin)
assert names == ['auth.py', 'login.py', 'oauth.py'], names" || die "top 3 are not the auth files"
echo "ok the three auth files rank first"
# the same through the HNSW index, with the plan on stderr
ok search resources "authentication code" -k 3 --mode vector --hnsw --explain
grep -q "^plan: hnsw ef=128" "$ERR" || die "no hnsw plan on stderr"
python3 -c "
import json, sys
names = sorted(json.loads(l)['entity']['name'] for l in open('$OUT'))
assert names == ['auth.py', 'login.py', 'oauth.py'], names" || die "hnsw top 3"
echo "ok hnsw finds the same three"
ok search resources "authentication code" -k 3 --mode vector --exact --explain
grep -q "^plan: exact over" "$ERR" || die "no exact plan on stderr"
fails "--exact and --hnsw" search resources "x" --exact --hnsw
fails "--ef" search resources "x" --ef 0
# and as SQL: embedding.cosine() with another condition
ok sql "SELECT name FROM resources WHERE embedding.cosine('authentication code') AND name LIKE '%.py' LIMIT 3" --format csv
python3 -c "
rows = open('$OUT').read().split()[1:]
assert sorted(rows) == ['auth.py', 'login.py', 'oauth.py'], rows" || die "embedding.cosine top 3"
echo "ok embedding.cosine() in WHERE ranks the auth files first"

# who authored or modified them: one SQL statement joining search and
# traversal results with the people table
ok sql "SELECT DISTINCT p.name FROM search('resources', 'authentication code', 3) s, traverse(s.id, 1, 'in') t JOIN people p ON p.id = t.id WHERE t.depth = 1 ORDER BY p.name" --format csv
out_is "$(printf 'name\nAda\nBarbara\nGrace\nKen\nLinus')"

# traversal depth limits: from Ada, out then in
ok traverse "$P_Ada" --depth 1 --direction out
python3 -c "import json,sys; d=json.load(open('$OUT')); assert len(d['nodes'])==3, d" || die "depth 1"
ok traverse "$P_Ada" --depth 2 --direction both
python3 -c "import json,sys; d=json.load(open('$OUT')); assert len(d['nodes'])==5, len(d['nodes'])" || die "depth 2"
ok traverse "$P_Ada" --depth 2 --direction both --exact
python3 -c "import json,sys; d=json.load(open('$OUT')); assert {n['depth'] for n in d['nodes']}=={2}, d" || die "exact depth"
ok sql "TRAVERSE FROM '$P_Ada' DEPTH 1 DIRECTION out TYPE 'authored'" --format csv
# header, Ada herself (depth 0), and the one file she authored
[ "$(wc -l < "$OUT")" -eq 3 ] || die "TRAVERSE with a type"
echo "ok TRAVERSE with a type"

# resources about a topic created in a time window
ok sql "SELECT r.name FROM search('resources', 'authentication', 10) s JOIN resources r ON r.id = s.id WHERE r.created_at BETWEEN '2025-03-01' AND '2025-03-31' ORDER BY s._score DESC LIMIT 2" --format csv
out_is "$(printf 'name\nauth.py\nlogin.py')"
ok sql "SEARCH 'authentication' IN resources WHERE created_at >= '2025-06-01' LIMIT 5" --format csv
[ "$(wc -l < "$OUT")" -eq 2 ] || die "SEARCH with a time filter"
echo "ok SEARCH with a time filter"

# moments in a time window, served by the index on starts_at
ok insert moments '{"name":"auth review","kind":"meeting","starts_at":"2025-03-03T09:00:00Z","ends_at":"2025-03-03T10:00:00Z","participants":["Ada","Ken"]}'
M=$(cat $OUT)
ok edge add "$M" "$F_auth" discussed
python3 -c "
import json
for d in range(200):
    print(json.dumps({'name': 'standup %d' % d, 'kind': 'meeting',
                      'starts_at': '2024-%02d-%02dT09:00:00Z' % (1 + d % 12, 1 + d % 28)}))
" > standups.jsonl
ok import moments standups.jsonl
ok sql --explain "SELECT name FROM moments WHERE starts_at BETWEEN '2025-03-01' AND '2025-03-31'"
out_has "index range on starts_at"
ok sql "SELECT m.name, r.name FROM moments m, traverse(m.id, 1, 'out', 'discussed') t JOIN resources r ON r.id = t.id WHERE m.starts_at < '2025-04-01' AND t.depth = 1" --format csv
out_has "auth review,auth.py"
verify_ok
