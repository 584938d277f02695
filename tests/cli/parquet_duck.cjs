// parquet_duck.cjs: read Parquet files back with DuckDB (@duckdb/node-api,
// found through NODE_PATH) for tests/cli/test_parquet.sh.
//   node parquet_duck.cjs rows FILE      one JSON object a line, every
//        column: BIGINT and timestamps (epoch microseconds) as decimal
//        strings, DOUBLE as the 16 hex digits of its IEEE bits (little
//        endian), BOOLEAN, VARCHAR and NULL as JSON
//   node parquet_duck.cjs describe FILE  [[name, type], ...]
//   node parquet_duck.cjs meta FILE      {groups, codecs, rows}
//   node parquet_duck.cjs stats FILE COL...  checks each row group's
//        statistics of COLs (null count, min, max) against the values
//        DuckDB reads in that group; prints "ok" or the differences
const duckdb = require('@duckdb/node-api');

const q = (s) => "'" + s.replace(/'/g, "''") + "'";
const id = (s) => '"' + s.replace(/"/g, '""') + '"';

async function all(con, sql) {
  const r = await con.runAndReadAll(sql);
  return r.getRowObjects();
}

async function main() {
  const [cmd, file, ...cols] = process.argv.slice(2);
  const inst = await duckdb.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const src = `read_parquet(${q(file)})`;
  const desc = (await all(con, `DESCRIBE SELECT * FROM ${src}`))
    .map((r) => [r.column_name, r.column_type]);
  if (cmd === 'describe') {
    console.log(JSON.stringify(desc));
  } else if (cmd === 'rows') {
    const sel = desc.map(([n, t]) => {
      if (t.startsWith('TIMESTAMP')) return `epoch_us(${id(n)})::VARCHAR AS ${id(n)}`;
      if (t === 'BIGINT') return `${id(n)}::VARCHAR AS ${id(n)}`;
      return id(n);
    });
    const rows = await all(con, `SELECT ${sel.join(', ')} FROM ${src}`);
    const types = Object.fromEntries(desc);
    const out = [];
    for (const r of rows) {
      const o = {};
      for (const [k, v] of Object.entries(r)) {
        if (v !== null && types[k] === 'DOUBLE') {
          const b = Buffer.alloc(8);
          b.writeDoubleLE(v);
          o[k] = b.toString('hex');
        } else {
          o[k] = v;
        }
      }
      out.push(JSON.stringify(o));
    }
    if (out.length) console.log(out.join('\n'));
  } else if (cmd === 'meta') {
    const m = await all(con, `SELECT row_group_id::INTEGER AS g,
        row_group_num_rows::BIGINT::VARCHAR AS n, compression AS c
      FROM parquet_metadata(${q(file)})`);
    const groups = new Map();
    for (const r of m) groups.set(r.g, r.n);
    const n = await all(con, `SELECT count(*)::VARCHAR AS n FROM ${src}`);
    console.log(JSON.stringify({groups: groups.size,
      group_rows: [...groups.values()], codecs: [...new Set(m.map((r) => r.c))],
      rows: n[0].n}));
  } else if (cmd === 'stats') {
    const m = await all(con, `SELECT row_group_id::INTEGER AS g,
        row_group_num_rows::BIGINT AS n, path_in_schema AS col,
        stats_null_count::BIGINT::VARCHAR AS nulls,
        stats_min_value AS lo, stats_max_value AS hi
      FROM parquet_metadata(${q(file)}) ORDER BY g`);
    const starts = new Map();
    let at = 0n;
    for (const r of m) if (!starts.has(r.g)) { starts.set(r.g, at); at += r.n; }
    const bad = [];
    for (const r of m) {
      if (!cols.includes(r.col)) continue;
      const a = starts.get(r.g), b = a + r.n;
      const [d] = await all(con, `SELECT (count(*) - count(${id(r.col)}))::VARCHAR AS nulls,
          min(${id(r.col)})::VARCHAR AS lo, max(${id(r.col)})::VARCHAR AS hi,
          max(strlen(${id(r.col)}::VARCHAR)) AS len
        FROM read_parquet(${q(file)}, file_row_number = true)
        WHERE file_row_number >= ${a} AND file_row_number < ${b}`);
      // strings longer than 4096 bytes leave min and max out (remdb's
      // PQ_STAT_MAX): then there must be one that long
      const omitted = r.lo === null && r.hi === null && d.lo !== null;
      if (omitted && !(Number(d.len) > 4096))
        bad.push(`group ${r.g} ${r.col}: no min/max, longest value ${d.len} bytes`);
      if (omitted) console.error(`(group ${r.g} ${r.col}: min/max left out)`);
      for (const k of omitted ? ['nulls'] : ['nulls', 'lo', 'hi'])
        if (String(d[k]) !== String(r[k]))
          bad.push(`group ${r.g} ${r.col} ${k}: statistics ${r[k]}, data ${d[k]}`);
    }
    console.log(bad.length ? bad.join('\n') : 'ok');
  } else {
    throw new Error('unknown command ' + cmd);
  }
}

main().catch((e) => { console.error('parquet_duck: ' + (e && e.message || e)); process.exit(1); });
