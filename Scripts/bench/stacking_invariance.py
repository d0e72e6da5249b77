#!/usr/bin/env python3
"""Whether stacking several sequences' rows into one sgemm call keeps every row's bits.

Stacking means one product X·W over the rows of several sequences instead of one product per
sequence. It is only safe for softq if each sequence's rows come out bit for bit as they do
when that sequence is multiplied alone. Two known hazards, both handled by zero padding:

  * a row's bits depend on its position within the kernel's tile of rows, so each sequence's
    block is padded with zero rows to a multiple P (our rows are OpenBLAS's N dimension,
    because row-major cblas swaps the operands);
  * OpenBLAS switches to other kernels for small products (the AVX-512 "direct" sgemm for
    row-major NN below M·N·K = 28·512·512, the small-matrix kernels below 100³), so in
    "min-size" mode every product, stacked or alone, is also padded at the end with zero rows
    until rows·n·k > limit.

For random cases (model widths and arbitrary sizes, NN and NT, 2–5 sequences, loose leading
dimensions whose unused columns hold NaN) it counts, for each P and for both modes ("plain":
no minimum size, "min-size"), the sequences whose stacked rows differ in any bit from the
same sequence computed alone. Run under each kernel family:

    OPENBLAS_CORETYPE=Haswell python3 Scripts/bench/stacking_invariance.py [--cases 300 --seed 0]

One OpenBLAS thread, row-major cblas_sgemm C = X·W ("NN", W stored [k,n]) or C = X·Wᵀ ("NT",
W stored [n,k]), alpha 1, beta 0, float32 through Debian's libopenblas via ctypes. Always
exits 0: it measures, the verdict lines say the smallest P without differences per mode.
"""
import argparse
import ctypes
import ctypes.util
import time

import numpy as np

# The widths (k and n) softq's models use; half the draws come from here.
MODEL_WIDTHS = (64, 128, 192, 320, 576, 768, 960, 1536, 2048, 2560, 3072)
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112


def draw_width(rng):
    if rng.random() < 0.5:
        return int(rng.choice(MODEL_WIDTHS))
    # Tiny widths are where OpenBLAS picks its special kernels, so draw them often.
    if rng.random() < 1 / 3:
        return int(rng.integers(1, 101))
    return int(rng.integers(1, 3101))


def draw_case(rng):
    k, n = draw_width(rng), draw_width(rng)
    orient = "NN" if rng.random() < 0.5 else "NT"
    count = int(rng.integers(2, 6))
    # Short sequences put a row's position within a tile most often off the tile's start.
    rows = [int(rng.integers(1, 17)) if rng.random() < 0.5 else int(rng.integers(1, 201))
            for _ in range(count)]
    # A loose leading dimension half the time; the extra columns are NaN in X (see Product).
    lda = k + (0 if rng.random() < 0.5 else int(rng.integers(1, 18)))
    ldc = n + (0 if rng.random() < 0.5 else int(rng.integers(1, 18)))
    w = rng.standard_normal((k, n) if orient == "NN" else (n, k), dtype=np.float32)
    seqs = [rng.standard_normal((r, k), dtype=np.float32) for r in rows]
    return dict(k=k, n=n, orient=orient, rows=rows, lda=lda, ldc=ldc, w=w, seqs=seqs)


def padded(r, p):
    return -(-r // p) * p


class Product:
    """One case's buffers, reused by every product of the case.

    X's rows past the ones being multiplied stay zero, so a product of M rows sees exactly the
    zero padding it asks for; the columns past k hold NaN so that reading them would show up
    as NaN in C. C's columns past n hold a sentinel that must survive every call.
    """

    SENTINEL = np.float32(-12345.5)

    def __init__(self, lib, case, max_rows):
        self.lib, self.case = lib, case
        k, n = case["k"], case["n"]
        self.x = np.zeros((max_rows, case["lda"]), np.float32)
        self.x[:, k:] = np.nan
        self.c = np.full((max_rows, case["ldc"]), self.SENTINEL, np.float32)
        self.nan_outputs = 0
        self.cache = {}

    def run(self, offsets, m):
        """Rows of every sequence i placed at offsets[i] (None: absent), M = m rows in all.

        Returns each present sequence's rows of C. Products with the same layout are
        identical calls, so they are computed once.
        """
        key = (tuple(offsets), m)
        if key in self.cache:
            return self.cache[key]
        case, k, n = self.case, self.case["k"], self.case["n"]
        for off, s in zip(offsets, case["seqs"]):
            if off is not None:
                self.x[off:off + len(s), :k] = s
        # beta is 0, so stale or NaN contents of C must not leak into the result.
        self.c[:m, :n] = np.nan
        vp = ctypes.c_void_p
        ldb = n if case["orient"] == "NN" else k
        self.lib.cblas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS if case["orient"] == "NN" else TRANS,
                             m, n, k, 1.0, self.x.ctypes.data_as(vp), case["lda"],
                             case["w"].ctypes.data_as(vp), ldb, 0.0,
                             self.c.ctypes.data_as(vp), case["ldc"])
        out = []
        for off, s in zip(offsets, case["seqs"]):
            if off is None:
                out.append(None)
                continue
            rows = self.c[off:off + len(s), :n].copy()
            # Inputs are finite, so NaN means something read an unused column or stale C.
            self.nan_outputs += int(np.isnan(rows).any())
            out.append(rows.view(np.uint32))
            self.x[off:off + len(s), :k] = 0  # back to zero padding for the next product
        self.cache[key] = out
        return out

    def ldc_overwritten(self):
        return int((self.c[:, self.case["n"]:] != self.SENTINEL).any())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--multiples", type=int, nargs="+", default=[1, 2, 4, 8, 12, 16, 24],
                    help="P: each sequence's block is padded with zero rows to a multiple of P")
    ap.add_argument("--limit", type=int, default=28 * 512 * 512,
                    help="min-size mode pads every product to rows·n·k > limit (default 28·512·512)")
    ap.add_argument("--verbose", action="store_true", help="list every differing sequence")
    a = ap.parse_args()

    lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_set_num_threads(1)
    i, f, vp = ctypes.c_int, ctypes.c_float, ctypes.c_void_p
    lib.cblas_sgemm.argtypes = [i, i, i, i, i, i, f, vp, i, vp, i, f, vp, i]
    lib.cblas_sgemm.restype = None
    print(f"OpenBLAS {lib.openblas_get_corename().decode()} kernels, 1 thread, seed {a.seed}, "
          f"{a.cases} cases, limit {a.limit}")

    rng = np.random.default_rng(a.seed)
    modes = ("plain", "min-size")
    differing = {(p, mode): 0 for p in a.multiples for mode in modes}
    total = nan_outputs = ldc_overwritten = 0
    started = time.perf_counter()
    for case_no in range(a.cases):
        case = draw_case(rng)
        k, n, rows = case["k"], case["n"], case["rows"]
        total += len(rows)
        min_rows = a.limit // (n * k) + 1
        max_rows = max(max(sum(padded(r, p) for r in rows) for p in a.multiples), min_rows)
        prod = Product(lib, case, max_rows)
        for p in a.multiples:
            blocks = [padded(r, p) for r in rows]
            offsets = [int(o) for o in np.cumsum([0] + blocks[:-1])]
            for mode in modes:
                floor = min_rows if mode == "min-size" else 0
                stacked = prod.run(offsets, max(sum(blocks), floor))
                for s, b in enumerate(blocks):
                    alone_offsets = [None] * len(rows)
                    alone_offsets[s] = 0
                    alone = prod.run(alone_offsets, max(b, floor))[s]
                    if not np.array_equal(stacked[s], alone):
                        differing[(p, mode)] += 1
                        if a.verbose:
                            print(f"  case {case_no}: {case['orient']} k={k} n={n} rows={rows} "
                                  f"lda={case['lda']} ldc={case['ldc']}, P={p} {mode}: "
                                  f"sequence {s} differs")
        nan_outputs += prod.nan_outputs
        ldc_overwritten += prod.ldc_overwritten()
    elapsed = time.perf_counter() - started

    print(f"{'P':>4}  {'plain differing':>17}  {'min-size differing':>19}")
    for p in a.multiples:
        cells = [f"{differing[(p, mode)]} / {total}" for mode in modes]
        print(f"{p:>4}  {cells[0]:>17}  {cells[1]:>19}")
    for mode in modes:
        zero = [p for p in a.multiples if differing[(p, mode)] == 0]
        print(f"{mode}: smallest P with zero differing sequences: {min(zero) if zero else 'none'}")
    print(f"outputs with NaN: {nan_outputs}, cases whose C padding columns were written: "
          f"{ldc_overwritten}; {elapsed:.0f} s")


if __name__ == "__main__":
    main()
