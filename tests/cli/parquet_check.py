#!/usr/bin/env python3
"""parquet_check.py: helpers of tests/cli/test_parquet.sh.

  gen N                 N entities of every value kind, JSON lines (seeded)
  compare SQL DUCK DESC  the rows `remdb sql --format jsonl` printed (SQL)
                        against the rows read back from Parquet (DUCK, as
                        parquet_duck.cjs rows prints them), column types
                        from DESC ([[name, type], ...]): prints "ok N" or
                        the first differences, exit 1
  rows FILE             an independent Parquet reader (Thrift compact
                        footer, data pages v1, definition levels in the
                        RLE/bit-packed hybrid, PLAIN values or dictionary
                        codes, compression none): prints the rows as parquet_duck.cjs does
  describe FILE, meta FILE   as parquet_duck.cjs, from this reader
"""
import datetime
import json
import random
import struct
import sys

# ---- the data ---------------------------------------------------------

def gen(n):
    rnd = random.Random(11)
    ints = [None, "absent", 2**53 + 1, -(2**63), 2**63 - 1, -1, 0, -(2**53) - 3]
    reals = [None, "absent", -0.0, 0.0, 1.5, -1e300, 5e-324, 0.1, 2**53 + 1,
             1e-7, -2.5]
    bools = [None, "absent", True, False]
    strs = [None, "absent", "", "ünïcödé ✓ 日本語 🎉", "quote \" and \\ and\nnewline",
            "tab\there", "x" * 300, "plain"]
    times = [None, "absent", "1969-12-31T23:59:59.999999Z", "1900-01-01T00:00:00Z",
             "0001-01-01T00:00:00Z", "2020-06-01T12:00:00+02:00",
             "1970-01-01T00:00:00Z", "2026-02-28T23:59:59.5Z", "9999-12-31T23:59:59Z"]
    out = []
    for k in range(n):
        row = {"n": k, "tags": ["a", str(k % 7)]}
        for name, pool, rand in (("i", ints, lambda: rnd.randint(-10**15, 10**15)),
                                 ("x", reals, lambda: rnd.uniform(-1e6, 1e6)),
                                 ("b", bools, None),
                                 ("s", strs, lambda: "s%d" % rnd.randint(0, 5000)),
                                 ("t", times, None)):
            v = pool[rnd.randrange(len(pool))]
            if rand and rnd.random() < 0.5:
                v = rand()
            # runs of equal values (RLE runs of codes and of levels)
            if name == "s" and 1000 <= k < 1100:
                v = "run %d" % (k // 20)
            if name == "s" and 1200 <= k < 1300:
                v = "absent"
            # a string too long for the statistics (in the second group)
            if name == "s" and k == 66500:
                v = "\uffff" + "z" * 5000
            if v != "absent":
                row[name] = v
        out.append(json.dumps(row, ensure_ascii=False))
    sys.stdout.write("\n".join(out) + "\n")

# ---- the oracle and the comparison ------------------------------------

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

def micros(text):
    d = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    td = d - EPOCH
    return (td.days * 86400 + td.seconds) * 1000000 + td.microseconds

def canon_sql(row, types):
    out = {}
    for name, typ in types:
        v = row.get(name)
        if v is None:
            out[name] = None
        elif typ.startswith("TIMESTAMP"):
            out[name] = str(micros(v))
        elif typ == "BIGINT":
            out[name] = str(v)
        elif typ == "DOUBLE":
            out[name] = struct.pack("<d", float(v)).hex()
        elif typ == "BOOLEAN":
            out[name] = bool(v)
        else:
            out[name] = v
    return out

def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]

def compare(sql_path, duck_path, desc_path):
    with open(desc_path) as f:
        types = json.load(f)
    want = sorted((canon_sql(r, types) for r in load_jsonl(sql_path)),
                  key=lambda r: r["id"])
    got = sorted(load_jsonl(duck_path), key=lambda r: r["id"])
    bad = []
    if len(want) != len(got):
        bad.append("rows: sql %d, parquet %d" % (len(want), len(got)))
    for w, g in zip(want, got):
        if w != g:
            diff = {k: (w.get(k), g.get(k)) for k in set(w) | set(g)
                    if w.get(k) != g.get(k)}
            bad.append("row %s: (sql, parquet) %r" % (w.get("id"), diff))
        if len(bad) > 5:
            break
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    print("ok %d" % len(want))

# ---- an independent reader ---------------------------------------------

class Thrift:
    """Thrift compact protocol, read side."""

    def __init__(self, data, pos):
        self.d, self.p = data, pos

    def byte(self):
        b = self.d[self.p]
        self.p += 1
        return b

    def varint(self):
        shift = v = 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return v

    def zigzag(self):
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def value(self, t):
        if t in (1, 2):
            return t == 1
        if t == 3:
            return self.byte()
        if t in (4, 5, 6):
            return self.zigzag()
        if t == 7:
            v = struct.unpack_from("<d", self.d, self.p)[0]
            self.p += 8
            return v
        if t == 8:
            n = self.varint()
            v = bytes(self.d[self.p:self.p + n])
            self.p += n
            return v
        if t in (9, 10):
            h = self.byte()
            n, et = h >> 4, h & 15
            if n == 15:
                n = self.varint()
            return [self.byte() == 1 if et in (1, 2) else self.value(et)
                    for _ in range(n)]
        if t == 12:
            return self.struct()
        raise ValueError("thrift type %d not handled" % t)

    def struct(self):
        out, last = {}, 0
        while True:
            h = self.byte()
            if h == 0:
                return out
            t, delta = h & 15, h >> 4
            fid = last + delta if delta else self.zigzag()
            out[fid] = self.value(t)
            last = fid

def hybrid(data, pos, n, width=1):
    """n values of the RLE/bit-packed hybrid at bit width width."""
    t = Thrift(data, pos)
    out = []
    while len(out) < n:
        h = t.varint()
        if h & 1:
            nbytes = (h >> 1) * width
            acc = int.from_bytes(data[t.p:t.p + nbytes], "little")
            t.p += nbytes
            for q in range((h >> 1) * 8):
                out.append((acc >> (q * width)) & ((1 << width) - 1))
        else:
            nb = (width + 7) // 8
            v = int.from_bytes(data[t.p:t.p + nb], "little")
            t.p += nb
            out.extend([v] * (h >> 1))
    return out[:n]

def read_file(path, decode=True):
    with open(path, "rb") as f:
        d = f.read()
    assert d[:4] == b"PAR1" and d[-4:] == b"PAR1", "not a Parquet file"
    flen = struct.unpack_from("<I", d, len(d) - 8)[0]
    md = Thrift(d, len(d) - 8 - flen).struct()
    leaves = md[2][1:]
    cols = []
    for el in leaves:
        name, ptype = el[4].decode(), el[1]
        ts = el.get(6) == 10 or 8 in el.get(10, {})
        typ = {0: "BOOLEAN", 2: "TIMESTAMP WITH TIME ZONE" if ts else "BIGINT",
               5: "DOUBLE", 6: "VARCHAR"}[ptype]
        cols.append((name, typ, ptype))
    rows, codecs, group_rows = [], set(), []
    for rg in md.get(4, []):
        nrows = rg[3]
        group_rows.append(str(nrows))
        colvals = []
        for cc, (name, typ, ptype) in zip(rg[1], cols):
            meta = cc[3]
            codecs.add({0: "UNCOMPRESSED", 1: "SNAPPY", 6: "ZSTD"}[meta[4]])
            start = meta.get(11, meta[9])
            pos, end, vals = start, start + meta[7], []
            if not decode:
                continue
            while pos < end:
                th = Thrift(d, pos)
                ph = th.struct()
                body = d[th.p:th.p + ph[3]]
                pos = th.p + ph[3]
                if meta[4] != 0:
                    raise SystemExit("the fallback reader reads compression none only")
                if ph[1] == 2:  # dictionary page: PLAIN BYTE_ARRAY
                    dic, p = [], 0
                    for _ in range(ph[7][1]):
                        n = struct.unpack_from("<I", body, p)[0]
                        dic.append(body[p + 4:p + 4 + n].decode("utf-8"))
                        p += 4 + n
                    continue
                nv = ph[5][1]
                ll = struct.unpack_from("<I", body, 0)[0]
                levels = hybrid(body, 4, nv)
                p = 4 + ll
                nbool = 0
                if ph[5][2] in (2, 8):  # dictionary codes
                    codes = iter(hybrid(body, p + 1, sum(levels), body[p]))
                    vals.extend(dic[next(codes)] if lv else None for lv in levels)
                    continue
                for lv in levels:
                    if not lv:
                        vals.append(None)
                    elif ptype == 0:
                        vals.append(bool(body[p + nbool // 8] >> (nbool % 8) & 1))
                        nbool += 1
                    elif ptype == 2:
                        vals.append(str(struct.unpack_from("<q", body, p)[0]))
                        p += 8
                    elif ptype == 5:
                        vals.append(body[p:p + 8].hex())
                        p += 8
                    else:
                        n = struct.unpack_from("<I", body, p)[0]
                        vals.append(body[p + 4:p + 4 + n].decode("utf-8"))
                        p += 4 + n
            assert len(vals) == nrows, "column %s: %d values, %d rows" % (name, len(vals), nrows)
            colvals.append(vals)
        for i in range(nrows if decode else 0):
            rows.append({c[0]: colvals[k][i] for k, c in enumerate(cols)})
    assert sum(int(x) for x in group_rows) == md[3], "num_rows"
    return cols, rows, {"groups": len(group_rows), "group_rows": group_rows,
                        "codecs": sorted(codecs), "rows": str(md[3])}

def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(int(sys.argv[2]))
    elif cmd == "compare":
        compare(*sys.argv[2:5])
    else:
        cols, rows, meta = read_file(sys.argv[2], cmd != "meta")
        if cmd in ("read", "rows"):
            for r in rows:
                print(json.dumps(r, ensure_ascii=False))
        elif cmd == "describe":
            print(json.dumps([[c[0], c[1]] for c in cols]))
        elif cmd == "meta":
            print(json.dumps(meta))

if __name__ == "__main__":
    main()
