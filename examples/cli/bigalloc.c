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
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(MADV_HUGEPAGE) && defined(MREMAP_MAYMOVE) && defined(MREMAP_FIXED) && \
    defined(MAP_ANONYMOUS)
#define BIGALLOC_MAPPED 1
#endif
/* Linux 5.14 has it; C libraries older than the kernel may not name it. The kernel checks the
 * value (bigalloc_prefault_start() asks before it starts). */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
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

/* The size of a page. */
static size_t page_size(void) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    return page == 0 || page == (size_t)-1 ? 4096 : page;
}

/* `size` rounded up to whole pages, or 0 when that overflows. */
static size_t page_round(size_t size) {
    size_t page = page_size();
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

/* ---------------------------------------------------------------------------------------- */
/* The registry of mapped blocks and the prefaulter (bigalloc.h)                            */
/* ---------------------------------------------------------------------------------------- */

/* The prefaulter populates this much at a time, holding the registry's lock: one huge page,
 * so that one chunk is one fault where huge pages are on, and a hook waits for at most that. */
#define PREFAULT_CHUNK HUGE_PAGE

/* A live mapped block. */
struct region {
    char *base;
    size_t len;       /* whole pages */
    size_t populated; /* bytes from base the prefaulter has populated */
    int given_up;     /* madvise() failed on it: the prefaulter leaves it alone */
};

/* How far into r the prefaulter goes: the first three quarters (bigalloc.h says why not all),
 * rounded down to whole chunks, because a partly populated huge page is a whole one in
 * memory; in a block smaller than a huge page (no huge pages there), to whole pages. */
static size_t prefault_limit(const struct region *r) {
    size_t limit = r->len / 4 * 3;
    size_t unit = r->len >= HUGE_PAGE ? PREFAULT_CHUNK : page_size();
    return limit - limit % unit;
}

/* Has the prefaulter more to do in r? */
static int has_work(const struct region *r) {
    return !r->given_up && r->populated < prefault_limit(r);
}

/* Every mapped block, and the prefaulter's state, under `lock`. A block the registry has no
 * room for (malloc failing) is simply not populated; the hooks work all the same. */
static struct {
    pthread_mutex_t gate; /* taken to wait for `lock`: see lock_registry() */
    pthread_mutex_t lock;
    pthread_cond_t wake; /* a block was mapped or grew, or stop was asked */
    struct region *regions;
    size_t n, cap;
    int running;  /* the thread exists (from start to the end of stop) */
    int stopping; /* stop was asked: the thread leaves */
    pthread_t thread;
} reg = {.gate = PTHREAD_MUTEX_INITIALIZER,
         .lock = PTHREAD_MUTEX_INITIALIZER,
         .wake = PTHREAD_COND_INITIALIZER};

/* Take the registry's lock. Through `gate`, because a mutex is not fair: the prefaulter
 * releasing the lock between chunks would take it again before a woken waiter runs, and a
 * hook could wait until all blocks were populated. A waiter holds the gate while it waits, and
 * the prefaulter passes the gate before it takes the lock again, so the waiter goes first. */
static void lock_registry(void) {
    pthread_mutex_lock(&reg.gate);
    pthread_mutex_lock(&reg.lock);
    pthread_mutex_unlock(&reg.gate);
}

static void unlock_registry(void) {
    pthread_mutex_unlock(&reg.lock);
}

/* The registry's entry for the block at `base`, or NULL. Lock held. */
static struct region *find_region(const void *base) {
    for (size_t i = 0; i < reg.n; i++) {
        if (reg.regions[i].base == base) {
            return &reg.regions[i];
        }
    }
    return NULL;
}

/* Note a fresh block of `len` bytes at `base` and wake the prefaulter. Lock held. */
static void note_mapped(char *base, size_t len) {
    struct region *r;
    if (reg.n == reg.cap) {
        size_t cap = reg.cap > 0 ? 2 * reg.cap : 16;
        r = realloc(reg.regions, cap * sizeof *r);
        if (r == NULL) {
            return; /* untracked: never populated, otherwise as any block */
        }
        reg.regions = r;
        reg.cap = cap;
    }
    r = &reg.regions[reg.n++];
    r->base = base;
    r->len = len;
    r->populated = 0;
    r->given_up = 0;
    if (has_work(r)) {
        pthread_cond_signal(&reg.wake);
    }
}

/* Note that the block at `old` is now `len` bytes at `base` (moved, grown or shrunk, its
 * populated pages with it) and wake the prefaulter if there is more to do. Lock held. */
static void note_resized(const char *old, char *base, size_t len) {
    struct region *r = find_region(old);
    if (r == NULL) {
        note_mapped(base, len); /* was untracked: try again */
        return;
    }
    r->base = base;
    r->len = len;
    if (r->populated > len) {
        r->populated = len;
    }
    if (has_work(r)) {
        pthread_cond_signal(&reg.wake);
    }
}

/* Forget the block at `base`. Lock held. */
static void note_unmapped(const char *base) {
    struct region *r = find_region(base);
    if (r != NULL) {
        *r = reg.regions[--reg.n];
    }
}

/* The block the prefaulter should work on next, or NULL when none has anything left: the one
 * least populated relative to its length, because the engine fills its arrays side by side
 * (a record adds to each), so each is as far along as the others. Lock held. */
static struct region *next_region(void) {
    struct region *best = NULL;
    double best_share = 2.0;
    for (size_t i = 0; i < reg.n; i++) {
        struct region *r = &reg.regions[i];
        double share = (double)r->populated / (double)r->len;
        if (has_work(r) && share < best_share) {
            best = r;
            best_share = share;
        }
    }
    return best;
}

/* Populate the next chunk of r, up to a chunk boundary so that chunks stay huge-page aligned
 * after a shrink. On failure (EINVAL: the kernel lacks the advice; ENOMEM: no memory) give up
 * on the block: the program's own writes will fault its pages as without the prefaulter.
 * Lock held, so that r is neither unmapped nor moved meanwhile. */
static void populate_chunk(struct region *r) {
    size_t n = PREFAULT_CHUNK - r->populated % PREFAULT_CHUNK;
    size_t limit = prefault_limit(r);
    if (n > limit - r->populated) {
        n = limit - r->populated;
    }
    if (madvise(r->base + r->populated, n, MADV_POPULATE_WRITE) == 0) {
        r->populated += n;
    } else {
        r->given_up = 1;
    }
}

/* The prefaulter: a chunk at a time while there is work, the lock released between chunks so
 * that the hooks get in; asleep on `wake` when there is none. */
static void *prefault_main(void *arg) {
    (void)arg;
    lock_registry();
    while (!reg.stopping) {
        struct region *r = next_region();
        if (r == NULL) {
            pthread_cond_wait(&reg.wake, &reg.lock);
            continue;
        }
        populate_chunk(r);
        unlock_registry(); /* a waiting hook or stop goes first */
        lock_registry();
    }
    unlock_registry();
    return NULL;
}

int bigalloc_prefault_start(void) {
    int rc = 0;
    /* A length of 0 checks only the advice: EINVAL where the kernel does not know it. */
    if (madvise(NULL, 0, MADV_POPULATE_WRITE) != 0) {
        return -1;
    }
    lock_registry();
    if (!reg.running) {
        reg.stopping = 0;
        reg.running = pthread_create(&reg.thread, NULL, prefault_main, NULL) == 0;
        rc = reg.running ? 0 : -1;
    }
    unlock_registry();
    return rc;
}

void bigalloc_prefault_stop(void) {
    lock_registry();
    if (!reg.running) {
        unlock_registry();
        return;
    }
    reg.stopping = 1;
    pthread_cond_broadcast(&reg.wake);
    unlock_registry();
    pthread_join(reg.thread, NULL);
    lock_registry();
    reg.running = 0;
    reg.stopping = 0;
    unlock_registry();
}

/* ---------------------------------------------------------------------------------------- */
/* The hooks                                                                                 */
/* ---------------------------------------------------------------------------------------- */

/* A fresh mapped block of at least `size` bytes, registered. @return NULL when it cannot be
 * had. */
static void *alloc_mapped(size_t size) {
    size_t len = page_round(size);
    char *p = map_block(len);
    if (p != NULL) {
        lock_registry();
        note_mapped(p, len);
        unlock_registry();
    }
    return p;
}

/* Unmap a block of `size` bytes (as requested) and forget it. Under the lock, so that the
 * prefaulter is not populating it meanwhile. */
static void free_mapped(void *p, size_t size) {
    lock_registry();
    munmap(p, page_round(size));
    note_unmapped(p);
    unlock_registry();
}

/* Resize a mapped block from old_size to new_size bytes (both mapped sizes). Under the lock,
 * as free_mapped(). @return the block, or NULL with the old one as it was. */
static void *resize_mapped(void *p, size_t old_size, size_t new_size) {
    size_t new_len = page_round(new_size);
    char *q;
    if (new_len == 0) {
        return NULL;
    }
    lock_registry();
    q = remap_block(p, page_round(old_size), new_len);
    if (q != NULL) {
        note_resized(p, q, new_len);
    }
    unlock_registry();
    return q;
}

static void *big_alloc(void *ctx, size_t size) {
    (void)ctx;
    if (!is_mapped(size)) {
        return malloc(size > 0 ? size : 1);
    }
    return alloc_mapped(size);
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
        return resize_mapped(ptr, old_size, new_size);
    }
    /* Between malloc and a mapping: a new block, the bytes both hold copied, the old freed. */
    q = big_alloc(ctx, new_size);
    if (q == NULL) {
        return NULL;
    }
    memcpy(q, ptr, old_size < new_size ? old_size : new_size);
    if (is_mapped(old_size)) {
        free_mapped(ptr, old_size);
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
        free_mapped(ptr, size);
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

int bigalloc_prefault_start(void) {
    return -1;
}

void bigalloc_prefault_stop(void) {
}

#endif

static const scv_allocator allocator = {big_alloc, big_realloc, big_free, NULL};

const scv_allocator *bigalloc_allocator(void) {
    return &allocator;
}
