# remdb search --mode, --snippets, and full-text SQL (issue 12): keyword,
# vector and hybrid search from the CLI, and every error they give.
. "${0%/*}/assert.sh"
ok init
cat > notes.json <<'J'
{"name": "notes", "properties": {"title": {"type": "string"},
 "body": {"type": "string"}, "grp": {"type": "integer"}},
 "indexed_fields": ["grp"], "embedding_fields": ["body"],
 "embedding": {"dim": 32, "metric": "cosine", "provider": "hash"},
 "fulltext": {"fields": ["title", "body"]}}
J
cat > plain.json <<'J'
{"name": "plain", "properties": {"title": {"type": "string"}}}
J
ok schema add notes.json
ok schema add plain.json
ok sql "INSERT INTO notes(title, body, grp) VALUES ('Token refresh', 'the refresh token expires after an hour', 1), ('Login page', 'the login page is slow to load', 2), ('Dark mode', 'a dark theme for the login page', 1), ('Tokens', 'api tokens and refresh tokens are rotated', 2)"
ok sql "INSERT INTO plain(title) VALUES ('alpha')"

# keyword: BM25, best first, stemmed (tokens -> token)
ok search notes "refresh token" --mode keyword
out_has '"title":"Token refresh"'
out_has '"title":"Tokens"'
[ "$(grep -c '"id"' "$OUT")" -eq 2 ] || die "keyword: expected 2 hits"
head -1 "$OUT" | grep -qF 'Token refresh' || die "keyword: wrong best hit"
# a filter applies inside the search
ok search notes "refresh token" --mode keyword --where "grp = 2"
out_is "$(grep -F '"title":"Tokens"' "$OUT")"
# snippets mark the matched terms
ok search notes "login" --mode keyword --snippets
out_has '"snippets":{'
out_has '[login]'
# vector: unchanged
ok search notes "login page" --mode vector -k 2
[ "$(grep -c '"id"' "$OUT")" -eq 2 ] || die "vector: expected 2 hits"
# hybrid (the default with both indexes): fused, with both ranks
ok search notes "login page" --mode hybrid
out_has '"keyword_rank":'
out_has '"vector_rank":'
ok search notes "login page"
out_has '"keyword_rank":'
ok search notes "login page" --mode hybrid --rrf-k 1 --explain
grep -qF 'plan: hybrid rrf: keyword' "$ERR" || die "hybrid plan"
ok search notes "login" --mode keyword --explain
grep -qF 'plan: keyword postings' "$ERR" || die "keyword plan"

# errors
fails "--mode must be keyword, vector or hybrid, not 'fuzzy'" search notes x --mode fuzzy
fails "--rrf-k must be a number > 0" search notes x --mode hybrid --rrf-k 0
fails "plain: no full-text index" search plain "alpha" --mode keyword
fails "no embedding configured" search plain "alpha" --mode hybrid
fails "no embedding configured" search plain "alpha" --mode vector
fails "at position" search notes '"unclosed phrase' --mode keyword
fails "at position" search notes 'login AND' --mode keyword

# SQL: SEARCH ... MODE, fulltext.match(), fts()
ok sql "SEARCH 'refresh token' IN notes MODE keyword WHERE grp = 1 LIMIT 5" --format csv
out_has "Token refresh"
out_has "keyword_rank"
ok sql "SELECT title, _score > 0 FROM notes WHERE fulltext.match('login') AND grp = 2" --format csv
out_is "$(printf 'title,_score > 0\nLogin page,1')"
ok sql "SELECT n.title FROM fts('notes', 'token*', 5) f JOIN notes n ON n.id = f.id ORDER BY f._score DESC" --format csv
out_has "Token refresh"
ok sql "EXPLAIN SELECT * FROM notes WHERE fulltext.match('login')"
out_has "keyword postings"
fails "expected keyword, vector or hybrid after MODE" sql "SEARCH 'x' IN notes MODE fuzzy"
fails "at position" sql "SELECT * FROM fts('notes', 'a OR')"
fails "plain: no full-text index" sql "SEARCH 'x' IN plain MODE keyword"
fails "plain: no full-text index" sql "SELECT * FROM plain WHERE fulltext.match('x')"
