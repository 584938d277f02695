// parquet_copy.cjs FILE: DuckDB (one thread) loads FILE into a table in
// memory, then times COPY t TO parquet with each compression (median of
// 3); prints "codec seconds MB" lines (for bench/run_parquet.sh).
const duckdb = require('@duckdb/node-api');
const fs = require('fs');
(async () => {
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  await con.run('SET threads=1');
  await con.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${process.argv[2]}')`);
  for (const [name, z] of [['zstd', 'zstd'], ['snappy', 'snappy'], ['none', 'uncompressed']]) {
    const times = [];
    for (let k = 0; k < 3; k++) {
      const t0 = process.hrtime.bigint();
      await con.run(`COPY t TO 'd_${name}.parquet' (FORMAT parquet, COMPRESSION ${z})`);
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    times.sort((a, b) => a - b);
    const mb = (fs.statSync(`d_${name}.parquet`).size / 1e6).toFixed(1);
    console.log(`${name} ${times[1].toFixed(2)} ${mb}`);
  }
})().catch((e) => { console.error(String(e)); process.exit(1); });
