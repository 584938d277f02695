SELECT r.name, _score FROM resources AS r WHERE r.category = 'docs' AND embedding.cosine('token refresh') AND r.name LIKE 'A%' ORDER BY r.name LIMIT 2 OFFSET 1;
