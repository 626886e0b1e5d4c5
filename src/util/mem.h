/* mem.h — the engine's allocator, overflow-checked sizes and growable arrays.
 * Internal: never installed. Every allocation in the library goes through scv__mem. */
#ifndef SCV_UTIL_MEM_H
#define SCV_UTIL_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scv.h"

typedef struct scv__mem {
    scv_allocator alc;
} scv__mem;

/* Fill `m` from a host allocator (NULL = libc). Returns SCV_EINVAL when a hook is missing. */
scv_status scv__mem_init(scv__mem *m, const scv_allocator *alc);

/* An allocator that gives nothing: reserving through it succeeds only where the room is there
 * already, and then changes nothing, so it asks "is there room?" without allocating. */
extern const scv__mem scv__mem_none;

void *scv__alloc(const scv__mem *m, size_t size);
void *scv__calloc(const scv__mem *m, size_t n, size_t size);
void *scv__realloc(const scv__mem *m, void *p, size_t old_size, size_t new_size);
void scv__free(const scv__mem *m, void *p, size_t size);

/* a * b into *out; returns 0 on overflow. */
static inline int scv__mul_ok(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b) return 0;
    *out = a * b;
    return 1;
}

/* a + b into *out; returns 0 on overflow. */
static inline int scv__add_ok(size_t a, size_t b, size_t *out)
{
    if (a > SIZE_MAX - b) return 0;
    *out = a + b;
    return 1;
}

/*
 * Make room for `need` elements of `elem` bytes in the array *ptr of capacity *cap (in
 * elements). Grows geometrically. On failure nothing changes and SCV_ENOMEM is returned.
 * New memory is not initialised.
 */
scv_status scv__reserve(const scv__mem *m, void **ptr, size_t *cap, size_t need, size_t elem);

/* A growable array of T: `SCV__VEC(T) v;` with v.data, v.len, v.cap. */
#define SCV__VEC(T) struct { T *data; size_t len; size_t cap; }

/* Make room for v.len + extra elements. */
#define SCV__VEC_RESERVE(m, v, extra)                                                        \
    ((v).len > SIZE_MAX - (size_t)(extra)                                                    \
         ? SCV_ENOMEM                                                                       \
     : (v).len + (size_t)(extra) <= (v).cap                                                   \
         ? SCV_OK                                                                           \
         : scv__reserve((m), (void **)&(v).data, &(v).cap, (v).len + (size_t)(extra),        \
                        sizeof(*(v).data)))

/* Trim v's capacity to its length plus `spare` elements (nothing when it is that small
 * already). On SCV_ENOMEM v is as it was. */
scv_status scv__trim(const scv__mem *m, void **ptr, size_t *cap, size_t keep, size_t elem);
#define SCV__VEC_TRIM(m, v, spare) scv__trim((m), (void **)&(v).data, &(v).cap, (v).len + (spare), sizeof(*(v).data))

#define SCV__VEC_FREE(m, v)                                                                 \
    do {                                                                                    \
        scv__free((m), (v).data, (v).cap * sizeof(*(v).data));                              \
        (v).data = NULL;                                                                    \
        (v).len = (v).cap = 0;                                                              \
    } while (0)

/* memcpy(dst, src, n) for the short strings identifiers are (and the names, record ids and
 * trait values copied with them): up to 64 bytes as a few fixed-size moves that may overlap, which
 * compilers turn into a handful of instructions, where a call to memcpy costs several times
 * that. Longer strings go to memcpy. */
static inline void scv__copy_short(char *dst, const char *src, size_t n)
{
    uint64_t a, b, c, d;
    uint32_t x, y;
    if (n >= 8 && n <= 16) {
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n > 16 && n <= 32) {
        memcpy(&a, src, 8);
        memcpy(&b, src + 8, 8);
        memcpy(&c, src + n - 16, 8);
        memcpy(&d, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + 8, &b, 8);
        memcpy(dst + n - 16, &c, 8);
        memcpy(dst + n - 8, &d, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(&x, src, 4);
        memcpy(&y, src + n - 4, 4);
        memcpy(dst, &x, 4);
        memcpy(dst + n - 4, &y, 4);
    } else if (n > 0 && n < 4) {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    } else if (n > 32 && n <= 64) {
        /* E-mail addresses are often a little over 32 bytes: the first and the last 32. */
        char head[32], tail[32];
        memcpy(head, src, 32);
        memcpy(tail, src + n - 32, 32);
        memcpy(dst, head, 32);
        memcpy(dst + n - 32, tail, 32);
    } else if (n > 64) {
        memcpy(dst, src, n);
    }
}

/* memcmp(a, b, n) == 0 for short strings, as scv__copy_short() copies them: up to 16 bytes
 * as two loads a side that may overlap; longer strings go to memcmp. */
static inline int scv__equal_short(const char *a, const char *b, size_t n)
{
    uint64_t a0, a1, b0, b1;
    uint32_t x0, x1, y0, y1;
    if (n >= 8 && n <= 16) {
        memcpy(&a0, a, 8);
        memcpy(&a1, a + n - 8, 8);
        memcpy(&b0, b, 8);
        memcpy(&b1, b + n - 8, 8);
        return ((a0 ^ b0) | (a1 ^ b1)) == 0;
    }
    if (n >= 4 && n < 8) {
        memcpy(&x0, a, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y0, b, 4);
        memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (n > 0 && n < 4) return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
    return n == 0 || memcmp(a, b, n) == 0;
}

#endif
