/*
 * bigalloc.h — the allocator the scv program gives its engine (scv_allocator hooks).
 *
 * Why: loading a million records grows the engine's flat arrays and hash tables to tens of
 * megabytes each. From malloc those are 4 KiB pages, so the first touch of each page costs a
 * page fault (about 14% of a 1M-record run went to faults), and an array that outgrows its
 * block is copied. Here a block of BIGALLOC_THRESHOLD bytes or more is a mapping of its own,
 * advised for transparent huge pages (one fault per 2 MiB instead of one per 4 KiB), and it
 * grows with mremap(), which moves page-table entries instead of bytes. Smaller blocks come
 * from malloc, which serves them better.
 *
 * History: a prefaulter thread used to populate the mapped blocks (MADV_POPULATE_WRITE) ahead
 * of the thread that upserts, so that it did not wait for the kernel to zero their pages
 * (`scv resolve` on 1M records: 1.58 → 1.33 s when it was added). Once the upserts got faster
 * it stopped paying on this project's 2-core VM: the fast 1M runs took the same with it and
 * without, 10M records 7.49–9.13 s with it against 7.39–8.49 s without, and 6 of 13 1M runs
 * with it fell into the VM's slow mode against none of 13 without (the slow mode is the VM's:
 * runs without it have met it since). So a thread and a lock on every mapping went
 * (tests/bench/README.md, step 31). It came back without a thread of its own (step 37):
 * bigalloc_prefault() is called by the program's reading thread and worker when one waits for
 * the other, populates only blocks already being written, and only as far as the rows read so
 * far will fill them. The worker then spends no time in page faults of its own, and the
 * memory is taken early, which this VM rewards (see tests/bench/README.md, "Machine").
 *
 * On systems without mmap/mremap/MADV_HUGEPAGE (anything but Linux) every block comes from
 * malloc/realloc/free. Every failure returns NULL and, on realloc, leaves the old block as it
 * was, as scv_allocator requires; the library then reports SCV_ENOMEM.
 *
 * The hooks keep no state of their own (ctx is unused) besides a table of the mapped blocks,
 * for bigalloc_prefault(), under a lock; they are safe to use from several threads.
 */
#ifndef SCV_CLI_BIGALLOC_H
#define SCV_CLI_BIGALLOC_H

#include "scv.h"

/** Blocks at least this large get their own huge-page mapping (where that is available).
 *  Below it a mapping costs a system call and whole pages and gains no huge page. (64 KiB,
 *  256 KiB and 1 MiB measured alike on 1M records: the large arrays are what matters.) */
#define BIGALLOC_THRESHOLD ((size_t)1 << 20)

/** The allocator, for scv_options_new(). Static: it lives as long as the program. */
const scv_allocator *bigalloc_allocator(void);

/**
 * Populate one more huge page (2 MiB) of the mapped blocks, so that the thread that will
 * write there later does not wait for the kernel to fault it in and zero it: of the block
 * whose populated part is the smallest share of its length, if that share is below
 * `fraction` (0..1). For a thread with nothing else to do (the scv program calls it while a
 * thread waits for the other: ingest_set_idle). Thread-safe; no byte of any block changes.
 * @return 1 when it populated something, 0 when every block is populated to `fraction` or
 *         the system cannot populate (MADV_POPULATE_WRITE is Linux 5.14; not on other systems).
 */
int bigalloc_prefault(double fraction);

#endif
