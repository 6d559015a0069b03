// The encoder's dense products on one core, by engine: OpenBLAS sgemm (what the transformer stage runs), oneDNN's
// matmul in FP32, BF16 and INT8 (u8 activations quantised per tensor at run time, s8 weights with a scale per
// output column, s32 accumulation, FP32 out). The shapes are one all-MiniLM-L6-v2 layer's six products for M tokens:
// Q, K, V and the attention output (M x 384 by 384 x 384), then the feed-forward pair (M x 384 by 384 x 1536,
// M x 1536 by 1536 x 384). docs/transformer.md ("The inference engine") gives the figures.
//
//   cc -O2 scripts/matmul-engines.c -o matmul-engines -ldnnl -lopenblas -lm && OMP_NUM_THREADS=1 ./matmul-engines
//
// Needs Debian's libdnnl-dev and libopenblas-dev.
#include <cblas.h>
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(x)                                                                 \
    do {                                                                         \
        dnnl_status_t s_ = (x);                                                  \
        if (s_ != dnnl_success) {                                                \
            fprintf(stderr, "%s:%d: %s: status %d\n", __FILE__, __LINE__, #x, s_); \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

enum { PRODUCTS = 6 };
static const int KS[PRODUCTS] = {384, 384, 384, 384, 384, 1536};
static const int NS[PRODUCTS] = {384, 384, 384, 384, 1536, 384};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *random_floats(size_t n, float scale) {
    float *p = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = scale * ((float)rand() / RAND_MAX * 2 - 1);
    return p;
}

typedef struct {
    dnnl_primitive_t prim;
    dnnl_memory_t src, weights, dst;
    float *srcf;      // FP32 activations (quantised into src for INT8, converted for BF16)
    float *dstf;      // FP32 output
    int m, k, n;
    dnnl_data_type_t type;
    float src_scale;  // INT8: activations' scale
} Product;

// One product for `type`: weights reordered once into the layout the primitive wants (as a loaded model would be).
static Product make_product(dnnl_engine_t eng, dnnl_stream_t stream, int m, int k, int n, dnnl_data_type_t type) {
    Product p = {.m = m, .k = k, .n = n, .type = type};
    dnnl_dims_t sd = {m, k}, wd = {k, n}, dd = {m, n};
    dnnl_data_type_t src_t = type == dnnl_s8 ? dnnl_u8 : type;
    dnnl_memory_desc_t src_md, w_any, dst_md, w_plain;
    CHECK(dnnl_memory_desc_init_by_tag(&src_md, 2, sd, src_t, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&w_any, 2, wd, type, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 2, dd, dnnl_f32, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&w_plain, 2, wd, type, dnnl_ab));
    dnnl_matmul_desc_t desc;
    CHECK(dnnl_matmul_desc_init(&desc, &src_md, &w_any, NULL, &dst_md));
    dnnl_primitive_attr_t attr;
    CHECK(dnnl_primitive_attr_create(&attr));
    float *wf = random_floats((size_t)k * n, 0.05f);
    float *col_scales = NULL;
    p.src_scale = 1.0f / 32;
    if (type == dnnl_s8) {
        // Per output column: the largest weight maps to 127; the output scale undoes both quantisations.
        col_scales = malloc(n * sizeof(float));
        for (int j = 0; j < n; j++) {
            float mx = 1e-12f;
            for (int i = 0; i < k; i++) mx = fmaxf(mx, fabsf(wf[(size_t)i * n + j]));
            col_scales[j] = mx / 127 * p.src_scale;
        }
        CHECK(dnnl_primitive_attr_set_output_scales(attr, n, 1 << 1, col_scales));
    }
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &desc, attr, eng, NULL));
    const char *impl = NULL;
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    if (m == 64 && k == 384 && n == 384) fprintf(stderr, "oneDNN %s implementation: %s\n", type == dnnl_f32 ? "f32" : type == dnnl_bf16 ? "bf16" : "int8", impl);
    CHECK(dnnl_primitive_create(&p.prim, pd));
    const dnnl_memory_desc_t *w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    CHECK(dnnl_memory_create(&p.src, &src_md, eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&p.weights, w_md, eng, DNNL_MEMORY_ALLOCATE));
    p.dstf = malloc((size_t)m * n * sizeof(float));
    CHECK(dnnl_memory_create(&p.dst, &dst_md, eng, p.dstf));
    // The weights in the plain layout and type, then reordered.
    dnnl_memory_t plain;
    CHECK(dnnl_memory_create(&plain, &w_plain, eng, DNNL_MEMORY_ALLOCATE));
    void *raw = NULL;
    CHECK(dnnl_memory_get_data_handle(plain, &raw));
    for (size_t i = 0; i < (size_t)k * n; i++) {
        if (type == dnnl_f32) ((float *)raw)[i] = wf[i];
        else if (type == dnnl_bf16) { uint32_t b; memcpy(&b, &wf[i], 4); ((uint16_t *)raw)[i] = (uint16_t)(b >> 16); }
        else ((int8_t *)raw)[i] = (int8_t)lrintf(wf[i] / (col_scales[i % n] / p.src_scale));
    }
    dnnl_primitive_desc_t rpd;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, &w_plain, eng, w_md, eng, NULL));
    dnnl_primitive_t reorder;
    CHECK(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, plain}, {DNNL_ARG_TO, p.weights}};
    CHECK(dnnl_primitive_execute(reorder, stream, 2, rargs));
    CHECK(dnnl_stream_wait(stream));
    p.srcf = random_floats((size_t)m * k, 1.0f);
    free(wf);
    return p;
}

// The activations into the primitive's input type (part of the cost), then the product.
static void run_product(Product *p, dnnl_stream_t stream) {
    void *raw = NULL;
    CHECK(dnnl_memory_get_data_handle(p->src, &raw));
    size_t count = (size_t)p->m * p->k;
    if (p->type == dnnl_f32) memcpy(raw, p->srcf, count * sizeof(float));
    else if (p->type == dnnl_bf16) {
        for (size_t i = 0; i < count; i++) { uint32_t b; memcpy(&b, &p->srcf[i], 4); ((uint16_t *)raw)[i] = (uint16_t)(b >> 16); }
    } else {
        // Per tensor, asymmetric around 128 would need a zero point; symmetric |x| <= 4 into 0..255 here is the
        // arithmetic an INT8 path pays (a max pass and a scale pass).
        float mx = 1e-12f;
        for (size_t i = 0; i < count; i++) mx = fmaxf(mx, fabsf(p->srcf[i]));
        float inv = 127.0f / mx;
        for (size_t i = 0; i < count; i++) ((uint8_t *)raw)[i] = (uint8_t)(lrintf(p->srcf[i] * inv) + 128);
    }
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, p->src}, {DNNL_ARG_WEIGHTS, p->weights}, {DNNL_ARG_DST, p->dst}};
    CHECK(dnnl_primitive_execute(p->prim, stream, 3, args));
    CHECK(dnnl_stream_wait(stream));
}

static double time_onednn(dnnl_engine_t eng, dnnl_stream_t stream, int m, dnnl_data_type_t type, int reps) {
    Product ps[PRODUCTS];
    for (int i = 0; i < PRODUCTS; i++) ps[i] = make_product(eng, stream, m, KS[i], NS[i], type);
    for (int i = 0; i < PRODUCTS; i++) run_product(&ps[i], stream);
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now();
        for (int x = 0; x < reps; x++)
            for (int i = 0; i < PRODUCTS; i++) run_product(&ps[i], stream);
        best = fmin(best, (now() - t0) / reps);
    }
    return best;
}

static double time_openblas(int m, int reps) {
    float *a[PRODUCTS], *b[PRODUCTS], *c[PRODUCTS];
    for (int i = 0; i < PRODUCTS; i++) {
        a[i] = random_floats((size_t)m * KS[i], 1.0f);
        b[i] = random_floats((size_t)KS[i] * NS[i], 0.05f);
        c[i] = malloc((size_t)m * NS[i] * sizeof(float));
    }
    double best = 1e9;
    for (int r = 0; r < 6; r++) {
        double t0 = now();
        for (int x = 0; x < reps; x++)
            for (int i = 0; i < PRODUCTS; i++)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, NS[i], KS[i], 1, a[i], KS[i], b[i], NS[i], 0, c[i], NS[i]);
        if (r > 0) best = fmin(best, (now() - t0) / reps);
    }
    return best;
}

int main(void) {
    openblas_set_num_threads(1);
    printf("OpenBLAS %s, kernels for %s; oneDNN %d.%d.%d\n\n", openblas_get_config(), openblas_get_corename(), dnnl_version()->major,
           dnnl_version()->minor, dnnl_version()->patch);
    dnnl_engine_t eng;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    dnnl_stream_t stream;
    CHECK(dnnl_stream_create(&stream, eng, dnnl_stream_default_flags));
    int ms[] = {64, 128, 256};
    printf("| tokens | GFLOP a layer | OpenBLAS sgemm | oneDNN f32 | oneDNN bf16 | oneDNN int8 |\n| --- | --- | --- | --- | --- | --- |\n");
    for (int t = 0; t < 3; t++) {
        int m = ms[t];
        int reps = 12800 / m;
        double flop = 0;
        for (int i = 0; i < PRODUCTS; i++) flop += 2.0 * m * KS[i] * NS[i];
        double blas = time_openblas(m, reps);
        double f32 = time_onednn(eng, stream, m, dnnl_f32, reps);
        double bf16 = time_onednn(eng, stream, m, dnnl_bf16, reps);
        double i8 = time_onednn(eng, stream, m, dnnl_s8, reps);
        printf("| %d | %.3f | %.3f ms (%.0f GFLOP/s) | %.3f ms (%.2fx) | %.3f ms (%.2fx) | %.3f ms (%.2fx) |\n", m, flop * 1e-9, blas * 1e3,
               flop / blas * 1e-9, f32 * 1e3, blas / f32, bf16 * 1e3, blas / bf16, i8 * 1e3, blas / i8);
    }
    return 0;
}
