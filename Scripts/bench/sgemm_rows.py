#!/usr/bin/env python3
"""sgemm GFLOP/s as a function of the number of rows, for one of softq's weight shapes.

What stacking several sequences into one product could gain at most: softq multiplies the
rows of one response (typically 32–256) by each weight matrix; stacking responses would raise
the row count. Run under each kernel family to compare:

    OPENBLAS_CORETYPE=SkylakeX python3 Scripts/bench/sgemm_rows.py [--k 768 --n 2304]

One OpenBLAS thread (softq's products are single-threaded, docs/models.md), row-major
A[m×k]·B[k×n], float32 through Debian's libopenblas via ctypes; best of 3 timings of ≥ 2 GFLOP.
"""
import argparse
import ctypes
import ctypes.util
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--k", type=int, default=768, help="inner dimension (GPT-2 small: 768)")
    ap.add_argument("--n", type=int, default=2304, help="output columns (GPT-2 small's fused QKV: 2304)")
    ap.add_argument("--rows", type=int, nargs="+", default=[32, 64, 128, 256, 512, 1024, 2048])
    a = ap.parse_args()
    lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_set_num_threads(1)
    rng = np.random.default_rng(0)
    b = rng.random((a.k, a.n), dtype=np.float32)
    print(f"OpenBLAS {lib.openblas_get_corename().decode()} kernels, k = {a.k}, n = {a.n}, 1 thread")
    vp = ctypes.c_void_p
    for m in a.rows:
        x = rng.random((m, a.k), dtype=np.float32)
        c = np.zeros((m, a.n), np.float32)
        args = (101, 111, 111, m, a.n, a.k, ctypes.c_float(1), x.ctypes.data_as(vp), a.k,
                b.ctypes.data_as(vp), a.n, ctypes.c_float(0), c.ctypes.data_as(vp), a.n)
        flops = 2.0 * m * a.n * a.k
        reps = max(3, int(2e9 / flops))
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for _ in range(reps):
                lib.cblas_sgemm(*args)
            best = min(best, (time.perf_counter() - t) / reps)
        print(f"m = {m:5d}: {flops / best / 1e9:7.1f} GFLOP/s")


if __name__ == "__main__":
    main()
