// libFuzzer's driver entry (compiler-rt, LLVM 11+), for fuzz targets that keep their own
// `main`: SwiftPM renames every executable's entry point and aliases `main` to it, so
// libFuzzer's own `main` cannot be used. Linked only in fuzz builds (-sanitize=fuzzer);
// ordinary builds never call it.
#ifndef SOFTQ_CLIBFUZZER_SHIM_H
#define SOFTQ_CLIBFUZZER_SHIM_H
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
