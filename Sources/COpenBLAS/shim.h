// CBLAS from OpenBLAS (Debian's libopenblas-dev; pkg-config name `openblas`).
#ifndef SOFTQ_COPENBLAS_SHIM_H
#define SOFTQ_COPENBLAS_SHIM_H
#include <cblas.h>
// Thread control lives outside cblas.h's standard surface.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
#endif
