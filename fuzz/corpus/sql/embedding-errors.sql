SELECT count(*) FROM resources WHERE embedding.cosine('[0.1, 0.2]') LIMIT 3, 4;
SELECT name FROM resources WHERE embedding.cosine('auth') OR 1;
