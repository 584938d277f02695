"""hnsw_peer.py DATA_FILE EF[,EF...]: the hnswlib side of the vector
benchmark (bench/bench_vector.c runs it with /usr/bin/python3, Debian's
python3-hnswlib and python3-numpy).

DATA_FILE is written by bench_vector.c, little-endian:
  8 bytes magic "RVBENCH1", then u32 dim, u32 n, u32 nq, u32 k,
  n*dim float32 (the vectors), nq*dim float32 (the queries),
  nq*k int32 (exact top-k of each query by cosine, best first).

Builds Index(space='cosine') with M=16, ef_construction=200 and a fixed
random_seed, single-threaded (add_items with num_threads=1, as remdb's
build is one thread), then for each ef: set_ef(ef), an untimed warm-up
knn_query of the first 100 queries, and three timed knn_query calls of all
the queries with num_threads=1 (hnswlib's batch call on one thread: the
queries go one after the other in C++, with no Python loop in the timing);
the median QPS is reported.
Memory and disk: the size of the index saved with save_index (hnswlib
keeps the same fixed-size arrays in memory as it writes to the file).
Prints one JSON object on stdout."""
import json
import os
import struct
import sys
import tempfile
import time

import hnswlib
import numpy as np

M = 16
EF_CONSTRUCTION = 200
SEED = 100
REPS = 3  # timed passes per ef; the median QPS is reported


def main():
    path, efs = sys.argv[1], [int(e) for e in sys.argv[2].split(",")]
    with open(path, "rb") as f:
        if f.read(8) != b"RVBENCH1":
            sys.exit("hnsw_peer.py: %s: not a benchmark data file" % path)
        dim, n, nq, k = struct.unpack("<4I", f.read(16))
        x = np.fromfile(f, dtype="<f4", count=n * dim).reshape(n, dim)
        q = np.fromfile(f, dtype="<f4", count=nq * dim).reshape(nq, dim)
        gt = np.fromfile(f, dtype="<i4", count=nq * k).reshape(nq, k)
    if gt.shape != (nq, k):
        sys.exit("hnsw_peer.py: %s: truncated" % path)

    index = hnswlib.Index(space="cosine", dim=dim)
    t = time.perf_counter()
    index.init_index(max_elements=n, M=M, ef_construction=EF_CONSTRUCTION,
                     random_seed=SEED)
    index.add_items(x, np.arange(n), num_threads=1)
    build_s = time.perf_counter() - t

    with open("/proc/loadavg") as f:
        load = float(f.read().split()[0])
    truth = [set(row) for row in gt.tolist()]
    runs = []
    for ef in efs:
        index.set_ef(ef)
        index.knn_query(q[:100], k=k, num_threads=1)  # warm-up, untimed
        qps = []
        for _ in range(REPS):
            t = time.perf_counter()
            labels, _ = index.knn_query(q, k=k, num_threads=1)
            qps.append(nq / (time.perf_counter() - t))
        hits = sum(len(truth[i] & set(row)) for i, row in
                   enumerate(labels.tolist()))
        runs.append({"ef": ef, "recall": hits / (nq * k),
                     "qps": sorted(qps)[REPS // 2]})

    fd, tmp = tempfile.mkstemp(prefix="remdb-bench-hnswlib-")
    os.close(fd)
    try:
        index.save_index(tmp)
        size = os.path.getsize(tmp)
    finally:
        os.unlink(tmp)
    print(json.dumps({"build_s": build_s, "index_bytes": size, "runs": runs,
                      "load": load,
                      "M": M, "ef_construction": EF_CONSTRUCTION,
                      "numpy": np.__version__}))


main()
