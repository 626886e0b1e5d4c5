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

#include <pthread.h>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#if defined(MADV_HUGEPAGE) && defined(MREMAP_MAYMOVE) && defined(MREMAP_FIXED) && \
    defined(MAP_ANONYMOUS)
#define BIGALLOC_MAPPED 1
#include <errno.h>
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14; older kernels say EINVAL, and prefaulting stops */
#endif
#endif
#endif

#ifdef BIGALLOC_MAPPED

/* A transparent huge page (x86-64, arm64 with 4 KiB pages). Mappings this large start on such
 * a boundary, so that the whole block can be huge pages, not just its aligned middle. */
#define HUGE_PAGE ((size_t)2 << 20)

/* ---- The blocks prefaulting knows of ---------------------------------------------------- */

/* Mapped blocks tracked for bigalloc_prefault(); more than this many at once go untracked
 * (an engine has a couple of dozen). */
#define TRACKED 64

struct tracked {
    char *p;     /* the block's first byte; NULL: a free entry */
    size_t len;  /* its mapped length */
    size_t done; /* bytes from p on that were populated (or handed to a populate call) */
    int in_use;  /* its first page was seen in memory: the block is being written */
};

static pthread_mutex_t track_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tracked tracked[TRACKED];
static int populate_works = 1; /* cleared when the kernel has no MADV_POPULATE_WRITE */

static struct tracked *find_tracked(const char *p) {
    for (size_t i = 0; i < TRACKED; i++) {
        if (tracked[i].p == p) {
            return &tracked[i];
        }
    }
    return NULL;
}

/* Note that the block at old_p (NULL: a new block) is now p (NULL: freed), len bytes long. */
static void track(void *old_p, void *p, size_t len) {
    struct tracked *t;
    pthread_mutex_lock(&track_lock);
    t = find_tracked(old_p);
    if (t != NULL) {
        t->p = p;
        t->len = len;
        if (p == NULL) {
            t->done = 0;
            t->in_use = 0;
        } else if (t->done > len) {
            t->done = len;
        }
    }
    pthread_mutex_unlock(&track_lock);
}

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
    track(NULL, p, len);
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
            track(p, p, new_len);
        }
        return p;
    }
    /* In place, when the address space after the block is free (the block keeps its advice). */
    q = mremap(p, old_len, new_len, 0);
    if (q != MAP_FAILED) {
        track(p, q, new_len);
        return q;
    }
    /* Else move the pages to the start of a fresh, aligned and advised mapping. */
    dst = map_block(new_len);
    if (dst == NULL) {
        return NULL;
    }
    q = mremap(p, old_len, old_len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    if (q != MAP_FAILED) {
        /* The pages moved, populated ones with them: the old entry now describes dst. */
        track(dst, NULL, 0);
        track(p, dst, new_len);
        return dst;
    }
    /* The move failed (it may have unmapped part of dst): copy into yet another mapping. */
    track(dst, NULL, 0);
    munmap(dst, new_len);
    dst = map_block(new_len);
    if (dst == NULL) {
        return NULL;
    }
    memcpy(dst, p, old_len);
    track(p, NULL, 0);
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
        track(ptr, NULL, 0);
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
        track(ptr, NULL, 0);
        munmap(ptr, page_round(size));
    } else {
        free(ptr);
    }
}

/* Has the block's owner started writing it (its first page is in memory)? A reservation that
 * is never written (an engine reserves for traits a run may not have) is not populated. The
 * answer is kept: a block, once written, is written from its start on. */
static int in_use(struct tracked *t) {
    unsigned char resident = 0;
    if (!t->in_use && t->done == 0 && mincore(t->p, 1, &resident) == 0) {
        t->in_use = resident & 1;
    }
    return t->in_use || t->done > 0;
}

int bigalloc_prefault(double fraction) {
    struct tracked *pick = NULL;
    char *from;
    size_t len;
    if (fraction > 1) {
        fraction = 1;
    }
    pthread_mutex_lock(&track_lock);
    if (populate_works) {
        /* The block in use least populated for its size, if it is below `fraction`. */
        double least = fraction;
        for (size_t i = 0; i < TRACKED; i++) {
            struct tracked *t = &tracked[i];
            double part = t->p != NULL ? (double)t->done / (double)t->len : 1;
            if (part < least && in_use(t)) {
                least = part;
                pick = t;
            }
        }
    }
    if (pick == NULL) {
        pthread_mutex_unlock(&track_lock);
        return 0;
    }
    /* One huge page from where its populated part ends (blocks of a huge page or more start
     * on a boundary, so this stays on huge pages). Marked done before it is: another thread
     * asking meanwhile takes the next. */
    from = pick->p + pick->done;
    len = pick->len - pick->done < HUGE_PAGE ? pick->len - pick->done : HUGE_PAGE;
    pick->done += len;
    pthread_mutex_unlock(&track_lock);
    /* The block may be moved or freed before this runs: populating what is mapped there then
     * (or nothing, failing with ENOMEM) changes no byte of it, so that is harmless. */
    if (madvise(from, len, MADV_POPULATE_WRITE) != 0 && errno == EINVAL) {
        pthread_mutex_lock(&track_lock);
        populate_works = 0;
        pthread_mutex_unlock(&track_lock);
        return 0;
    }
    return 1;
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

int bigalloc_prefault(double fraction) {
    (void)fraction;
    return 0;
}

#endif

static const scv_allocator allocator = {big_alloc, big_realloc, big_free, NULL};

const scv_allocator *bigalloc_allocator(void) {
    return &allocator;
}
