/*
 * bigalloc.c — see bigalloc.h.
 *
 * _GNU_SOURCE is for mremap() and MREMAP_* (Linux only); no other file of the program needs it.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#include "bigalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#if defined(MADV_HUGEPAGE) && defined(MREMAP_MAYMOVE) && defined(MREMAP_FIXED) && \
    defined(MAP_ANONYMOUS)
#define BIGALLOC_MAPPED 1
#endif
#endif

#ifdef BIGALLOC_MAPPED

/* A transparent huge page (x86-64, arm64 with 4 KiB pages). Mappings this large start on such
 * a boundary, so that the whole block can be huge pages, not just its aligned middle. */
#define HUGE_PAGE ((size_t)2 << 20)

/* Is a block of `size` bytes (as requested) a mapping of its own? */
static int is_mapped(size_t size) {
    return size >= BIGALLOC_THRESHOLD;
}

/* `size` rounded up to whole pages, or 0 when that overflows. */
static size_t page_round(size_t size) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (page == 0 || page == (size_t)-1) {
        page = 4096;
    }
    if (size > SIZE_MAX - (page - 1)) {
        return 0;
    }
    return (size + page - 1) / page * page;
}

/* A fresh mapping of `len` bytes (whole pages), huge-page aligned when len is at least a huge
 * page, advised for huge pages. @return NULL when it cannot be had. */
static void *map_block(size_t len) {
    size_t extra = len >= HUGE_PAGE ? HUGE_PAGE : 0;
    size_t head;
    char *p;
    if (len == 0 || len > SIZE_MAX - extra) {
        return NULL;
    }
    p = mmap(NULL, len + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    if (extra > 0) {
        /* Unmap the bytes before the first boundary and after the block. */
        head = (HUGE_PAGE - ((uintptr_t)p & (HUGE_PAGE - 1))) & (HUGE_PAGE - 1);
        if (head > 0) {
            munmap(p, head);
        }
        if (extra - head > 0) {
            munmap(p + head + len, extra - head);
        }
        p += head;
    }
    /* Only advice: where huge pages are off, the block works all the same. */
    (void)madvise(p, len, MADV_HUGEPAGE);
    return p;
}

/* Grow or shrink a mapping of old_len bytes to new_len (both whole pages). The bytes are
 * moved by remapping their pages, never copied unless the kernel refuses to move them.
 * @return the block, or NULL with the old one as it was. */
static void *remap_block(void *p, size_t old_len, size_t new_len) {
    void *q;
    char *dst;
    if (new_len <= old_len) {
        if (new_len < old_len) {
            munmap((char *)p + new_len, old_len - new_len);
        }
        return p;
    }
    /* In place, when the address space after the block is free (the block keeps its advice). */
    q = mremap(p, old_len, new_len, 0);
    if (q != MAP_FAILED) {
        return q;
    }
    /* Else move the pages to the start of a fresh, aligned and advised mapping. */
    dst = map_block(new_len);
    if (dst == NULL) {
        return NULL;
    }
    q = mremap(p, old_len, old_len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    if (q != MAP_FAILED) {
        return dst;
    }
    /* The move failed (it may have unmapped part of dst): copy into yet another mapping. */
    munmap(dst, new_len);
    dst = map_block(new_len);
    if (dst == NULL) {
        return NULL;
    }
    memcpy(dst, p, old_len);
    munmap(p, old_len);
    return dst;
}

static void *big_alloc(void *ctx, size_t size) {
    (void)ctx;
    if (!is_mapped(size)) {
        return malloc(size > 0 ? size : 1);
    }
    return map_block(page_round(size));
}

static void *big_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size) {
    void *q;
    (void)ctx;
    if (ptr == NULL) {
        return big_alloc(ctx, new_size);
    }
    if (!is_mapped(old_size) && !is_mapped(new_size)) {
        return realloc(ptr, new_size > 0 ? new_size : 1);
    }
    if (is_mapped(old_size) && is_mapped(new_size)) {
        size_t old_len = page_round(old_size);
        size_t new_len = page_round(new_size);
        return new_len == 0 ? NULL : remap_block(ptr, old_len, new_len);
    }
    /* Between malloc and a mapping: a new block, the bytes both hold copied, the old freed. */
    q = big_alloc(ctx, new_size);
    if (q == NULL) {
        return NULL;
    }
    memcpy(q, ptr, old_size < new_size ? old_size : new_size);
    if (is_mapped(old_size)) {
        munmap(ptr, page_round(old_size));
    } else {
        free(ptr);
    }
    return q;
}

static void big_free(void *ctx, void *ptr, size_t size) {
    (void)ctx;
    if (ptr == NULL) {
        return;
    }
    if (is_mapped(size)) {
        munmap(ptr, page_round(size));
    } else {
        free(ptr);
    }
}

#else /* no mappings: libc */

static void *big_alloc(void *ctx, size_t size) {
    (void)ctx;
    return malloc(size > 0 ? size : 1);
}

static void *big_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size) {
    (void)ctx;
    (void)old_size;
    return realloc(ptr, new_size > 0 ? new_size : 1);
}

static void big_free(void *ctx, void *ptr, size_t size) {
    (void)ctx;
    (void)size;
    free(ptr);
}

#endif

static const scv_allocator allocator = {big_alloc, big_realloc, big_free, NULL};

const scv_allocator *bigalloc_allocator(void) {
    return &allocator;
}
