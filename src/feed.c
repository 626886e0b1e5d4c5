/* feed.c — see feed.h. */
#include "feed.h"

scv_status scv__feed_init(const scv__mem *m, scv__feed *f, size_t cap)
{
    f->cap = cap;
    f->last_seq = 0;
    f->first_seq = 1;
    f->next = 0;
    f->ring = NULL;
    if (cap == 0) return SCV_OK;
    f->ring = scv__alloc(m, cap * sizeof *f->ring);
    return f->ring == NULL ? SCV_ENOMEM : SCV_OK;
}

void scv__feed_free(const scv__mem *m, scv__feed *f)
{
    if (f->ring != NULL) scv__free(m, f->ring, f->cap * sizeof *f->ring);
    f->ring = NULL;
}

void scv__feed_restart(scv__feed *f, uint64_t seq)
{
    f->last_seq = seq;
    f->first_seq = seq + 1;
    f->next = f->cap == 0 ? 0 : (size_t)(seq % f->cap);
}

uint64_t scv__feed_oldest(const scv__feed *f)
{
    uint64_t ring_start = f->last_seq >= f->cap ? f->last_seq - f->cap + 1 : 1;
    return ring_start > f->first_seq ? ring_start : f->first_seq;
}
