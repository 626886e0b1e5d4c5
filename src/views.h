/* views.h — single customer views in columns, derived from the records.
 *
 * One block of memory holds, for every profile id (live or not, indexed by id): first and
 * last seen, the sources and linking kinds present (bit sets; sources and kinds past 63 share
 * bit 63 and are answered by scanning), the record count; for every trait name, the record
 * holding the surviving value; for every consent channel, the latest decision; for every
 * measure, the profile's (time, value) events in a compressed sparse row layout (off[id] ..
 * off[id + 1]). The views are rebuilt as a whole when the engine's generation has moved since
 * the last build: O(records + fields). Internal. */
#ifndef SCV_VIEWS_H
#define SCV_VIEWS_H

#include <stddef.h>
#include <stdint.h>

#include "scv.h"

struct scv_engine;

typedef struct scv__measure_col {
    uint32_t *off;   /* n + 1 */
    int64_t *ev_ts;  /* events of profile p: [off[p], off[p + 1]) */
    double *ev_val;
} scv__measure_col;

typedef struct scv__consent_col {
    int8_t *state; /* -1 none, 0 denied, 1 granted */
    int64_t *ts;
} scv__consent_col;

typedef struct scv__views {
    uint64_t built;   /* engine generation they reflect */
    size_t n;         /* profile id slots */
    void *block;
    size_t block_size;
    int64_t *first, *last;
    uint64_t *sources, *kinds;
    uint32_t *records;
    uint8_t *live;
    size_t n_traits, n_measures, n_channels;
    uint32_t **trait_rec; /* [trait][id]: record index of the surviving value, or SCV__NONE */
    scv__measure_col *measure;
    scv__consent_col *consent;
} scv__views;

/* Bring e->views up to date. SCV_ENOMEM leaves them as they were (possibly stale). */
scv_status scv__views_update(struct scv_engine *e);

void scv__views_free(struct scv_engine *e);

/* The value bytes of trait `t` on record x, or NULL. */
const char *scv__views_trait_value(const struct scv_engine *e, uint32_t x, uint32_t t, size_t *len);

/* Aggregate events [lo, hi) of a measure column, keeping those in the window (window_days 0 =
 * all). Returns 0 when no event counts (avg/min/max/times then missing). */
int scv__views_aggregate(const scv__measure_col *c, uint32_t p, scv_agg agg, uint32_t window_days,
                         int64_t now, double *out);

#endif
