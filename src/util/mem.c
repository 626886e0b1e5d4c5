/* mem.c — allocator plumbing and array growth. */
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

static void *libc_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void *libc_realloc(void *ctx, void *p, size_t old_size, size_t new_size)
{
    (void)ctx;
    (void)old_size;
    return realloc(p, new_size);
}

static void libc_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)size;
    free(p);
}

static void *none_alloc(void *ctx, size_t size)
{
    (void)ctx;
    (void)size;
    return NULL;
}

static void *none_realloc(void *ctx, void *p, size_t old_size, size_t new_size)
{
    (void)ctx;
    (void)p;
    (void)old_size;
    (void)new_size;
    return NULL;
}

const scv__mem scv__mem_none = {{none_alloc, none_realloc, libc_free, NULL}};

scv_status scv__mem_init(scv__mem *m, const scv_allocator *alc)
{
    if (alc == NULL) {
        m->alc.alloc = libc_alloc;
        m->alc.realloc = libc_realloc;
        m->alc.free = libc_free;
        m->alc.ctx = NULL;
        return SCV_OK;
    }
    if (alc->alloc == NULL || alc->realloc == NULL || alc->free == NULL) return SCV_EINVAL;
    m->alc = *alc;
    return SCV_OK;
}

void *scv__alloc(const scv__mem *m, size_t size)
{
    return m->alc.alloc(m->alc.ctx, size == 0 ? 1 : size);
}

void *scv__calloc(const scv__mem *m, size_t n, size_t size)
{
    size_t total;
    void *p;
    if (!scv__mul_ok(n, size, &total)) return NULL;
    p = scv__alloc(m, total);
    if (p != NULL) memset(p, 0, total);
    return p;
}

void *scv__realloc(const scv__mem *m, void *p, size_t old_size, size_t new_size)
{
    if (p == NULL) return scv__alloc(m, new_size);
    return m->alc.realloc(m->alc.ctx, p, old_size == 0 ? 1 : old_size, new_size == 0 ? 1 : new_size);
}

void scv__free(const scv__mem *m, void *p, size_t size)
{
    /* scv__alloc() and scv__realloc() turn a size of 0 into 1: report the same here. */
    if (p != NULL) m->alc.free(m->alc.ctx, p, size == 0 ? 1 : size);
}

scv_status scv__reserve(const scv__mem *m, void **ptr, size_t *cap, size_t need, size_t elem)
{
    size_t new_cap, old_bytes, new_bytes;
    void *p;
    if (need <= *cap) return SCV_OK;
    new_cap = *cap < 8 ? 8 : *cap;
    while (new_cap < need) {
        if (new_cap > SIZE_MAX / 2) {
            new_cap = need;
            break;
        }
        new_cap += new_cap / 2;
    }
    if (!scv__mul_ok(new_cap, elem, &new_bytes)) return SCV_ENOMEM;
    old_bytes = *cap * elem;
    p = *ptr == NULL ? scv__alloc(m, new_bytes) : scv__realloc(m, *ptr, old_bytes, new_bytes);
    if (p == NULL) return SCV_ENOMEM;
    *ptr = p;
    *cap = new_cap;
    return SCV_OK;
}

scv_status scv__trim(const scv__mem *m, void **ptr, size_t *cap, size_t keep, size_t elem)
{
    void *p;
    if (*ptr == NULL || keep >= *cap) return SCV_OK;
    if (keep == 0) {
        scv__free(m, *ptr, *cap * elem);
        *ptr = NULL;
        *cap = 0;
        return SCV_OK;
    }
    p = scv__realloc(m, *ptr, *cap * elem, keep * elem);
    if (p == NULL) return SCV_ENOMEM;
    *ptr = p;
    *cap = keep;
    return SCV_OK;
}
