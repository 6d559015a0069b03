// OpenBLAS's CBLAS interface (Debian libopenblas-dev), for the sentence encoder's matrix products.
#include <cblas.h>

// openblas_set_num_threads is declared in OpenBLAS's cblas.h; a static inline wrapper keeps Swift's view of it
// stable across OpenBLAS builds.
static inline void mailsift_openblas_threads(int n) { openblas_set_num_threads(n); }
