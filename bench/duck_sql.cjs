// duck_sql.cjs DIR [THREADS]: the DuckDB peer of bench_sql.c.  Loads
// DIR/users.csv and DIR/issues.csv and prints "duck <query index> <median ms>"
// per query on one thread, then (THREADS > 1) "duckN <query index> <median
// ms>" after `SET threads = THREADS`; the queries are the same text as in
// bench_sql.c (the equality one bound to the same project values).
const { DuckDBInstance } = require('@duckdb/node-api');

(async () => {
const dir = process.argv[2];
const nthreads = parseInt(process.argv[3] || '1', 10);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
await con.run(`CREATE TABLE users AS SELECT * FROM read_csv('${dir}/users.csv', header=true)`);
await con.run(`CREATE TABLE issues AS SELECT * FROM read_csv('${dir}/issues.csv', header=true)`);

const queries = [
  ['SELECT count(*), avg(score) FROM issues WHERE project = $1', 21, true],
  ['SELECT status, priority, count(*) AS n, avg(score) FROM issues GROUP BY status, priority HAVING n > 10', 5, false],
  ['SELECT u.team, count(*) AS n, avg(i.score) FROM users u JOIN issues i ON i.assignee = u.handle GROUP BY u.team', 3, false],
  // opened is read as a TIMESTAMP: the same rows as the text comparison
  ["SELECT count(*) FROM issues WHERE opened BETWEEN TIMESTAMP '2025-03-01' AND TIMESTAMP '2025-07-01'", 5, false],
  ["SELECT strftime(opened, '%Y-%m') AS m, count(*), avg(score) FROM issues GROUP BY m", 5, false],
];
const median = (v) => { v.sort((a, b) => a - b); const m = v.length >> 1; return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2; };
const passes = nthreads > 1 ? [1, nthreads] : [1];
for (const th of passes) {
  await con.run(`SET threads = ${th}`);
  for (let q = 0; q < queries.length; q++) {
    const [sql, reps, param] = queries[q];
    const run = async (p) => param ? (await con.runAndReadAll(sql, [p])) : (await con.runAndReadAll(sql));
    await run(7);
    const times = [];
    for (let k = 0; k < reps; k++) {
      const t0 = process.hrtime.bigint();
      await run((k * 37) % 1000);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    console.log(`${th > 1 ? 'duckN' : 'duck'} ${q} ${median(times).toFixed(3)}`);
  }
}
})().catch((e) => { console.error(e); process.exit(1); });
