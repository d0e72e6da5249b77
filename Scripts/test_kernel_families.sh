#!/usr/bin/env bash
# The stacking property tests (BatchInvarianceTests, StackedSequenceTests) under every OpenBLAS
# kernel family this CPU can run, not only the one OpenBLAS picks by itself: stacked products
# are trusted per family (`StackingRule(coreName:)`, docs/performance.md), so each family with a
# rule is checked on the library actually installed. A family is skipped when /proc/cpuinfo
# lacks an instruction set its kernels use (they would fault), or when OpenBLAS does not accept
# it (then it would silently run another family and the check would prove nothing).
#
# Usage: Scripts/test_kernel_families.sh [swift]   (after `swift build --build-tests`)
set -euo pipefail
swift=${1:-swift}
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "

has() { for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }

# The name OpenBLAS reports when asked for a family (it falls back without failing).
corename() {
    OPENBLAS_CORETYPE=$1 python3 -c '
import ctypes, ctypes.util
lib = ctypes.CDLL(ctypes.util.find_library("openblas") or "libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())'
}

status=0
for family in Prescott Sandybridge Haswell Zen SkylakeX Cooperlake; do
    case $family in
        Prescott) need=(pni) ;;  # SSE3 is listed as "pni"
        Sandybridge) need=(avx) ;;
        Haswell | Zen) need=(avx2 fma) ;;
        SkylakeX) need=(avx512f avx512bw avx512dq avx512vl) ;;
        Cooperlake) need=(avx512f avx512bw avx512dq avx512vl avx512_bf16) ;;
    esac
    if ! has "${need[@]}"; then
        echo "kernel family $family: skipped (the CPU lacks ${need[*]})"
        continue
    fi
    got=$(corename "$family")
    if [[ "${got,,}" != "${family,,}" ]]; then
        echo "kernel family $family: skipped (OpenBLAS runs $got when asked for it)"
        continue
    fi
    echo "kernel family $family: stacking property tests"
    if ! OPENBLAS_CORETYPE=$family "$swift" test --skip-build --filter 'BatchInvarianceTests|StackedSequenceTests' >"${TMPDIR:-/tmp}/softq-family-$family.log" 2>&1; then
        echo "kernel family $family: FAILED (log: ${TMPDIR:-/tmp}/softq-family-$family.log)"
        tail -n 30 "${TMPDIR:-/tmp}/softq-family-$family.log"
        status=1
    else
        grep -E "Executed [0-9]+ tests?" "${TMPDIR:-/tmp}/softq-family-$family.log" | tail -n 1
    fi
done
exit $status
