/* feed.h — the change feed: a fixed-size ring of profile events (created, merged, split,
 * updated, deleted), each with a sequence number and the record that caused it. The ring is
 * allocated with the engine, so emitting never allocates and never fails; when it is full
 * the oldest events are dropped and changes_since() reports that history is gone. Internal. */
#ifndef SCV_FEED_H
#define SCV_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "scv.h"
#include "util/mem.h"

typedef struct scv__event {
    uint64_t seq;
    uint32_t profile, other; /* merged: survivor, merged-away; split: old, new */
    uint32_t trigger;        /* record index, or UINT32_MAX */
    uint8_t kind;            /* scv_change */
} scv__event;

typedef struct scv__feed {
    scv__event *ring;
    size_t cap;
    uint64_t last_seq;  /* sequence of the newest event; 0 before any */
    uint64_t first_seq; /* the first sequence emitted into this ring (after a restart, the
                           earlier ones exist only in history) */
    size_t next;        /* where the next event goes: last_seq % cap, kept so that emitting
                           divides by nothing */
} scv__feed;

scv_status scv__feed_init(const scv__mem *m, scv__feed *f, size_t cap);
void scv__feed_free(const scv__mem *m, scv__feed *f);
/* Inline: an upsert emits at least one event. */
static inline void scv__feed_emit(scv__feed *f, uint8_t kind, uint32_t profile, uint32_t other, uint32_t trigger)
{
    uint64_t seq = ++f->last_seq;
    if (f->cap == 0) return;
    scv__event *ev = &f->ring[f->next];
    f->next = f->next + 1 == f->cap ? 0 : f->next + 1;
    ev->seq = seq;
    ev->kind = kind;
    ev->profile = profile;
    ev->other = other;
    ev->trigger = trigger;
}

/* Continue numbering after `seq` (a loaded snapshot's sequence) with no event held. */
void scv__feed_restart(scv__feed *f, uint64_t seq);

/* The oldest sequence still held (last_seq + 1 when empty). */
uint64_t scv__feed_oldest(const scv__feed *f);

static inline const scv__event *scv__feed_at(const scv__feed *f, uint64_t seq)
{
    return &f->ring[(seq - 1) % f->cap];
}

#endif
