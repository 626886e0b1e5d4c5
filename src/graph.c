/* graph.c — see graph.h. */
#include "graph.h"

#include <string.h>

/* Move arr[0..len) into a new block of cap elements. */
static uint32_t *moved(const scv__mem *m, uint32_t *fresh, uint32_t *old, size_t len, size_t old_cap)
{
    if (len > 0) memcpy(fresh, old, len * sizeof *old);
    scv__free(m, old, old_cap * sizeof *old);
    return fresh;
}

void scv__graph_free(const scv__mem *m, scv__graph *g)
{
    scv__free(m, g->parent, g->cap * sizeof *g->parent);
    scv__free(m, g->size, g->cap * sizeof *g->size);
    scv__free(m, g->next, g->cap * sizeof *g->next);
    g->parent = g->size = g->next = NULL;
    g->len = g->cap = 0;
}

scv_status scv__graph_reserve(const scv__mem *m, scv__graph *g, size_t extra)
{
    size_t need, cap;
    if (!scv__add_ok(g->len, extra, &need)) return SCV_ENOMEM;
    if (need <= g->cap) return SCV_OK;
    cap = g->cap < 64 ? 64 : g->cap + g->cap / 2;
    if (cap < need) cap = need;
    /* Allocate all three new blocks before touching the old ones, so that a failure leaves
     * the graph exactly as it was. */
    size_t bytes;
    if (!scv__mul_ok(cap, sizeof(uint32_t), &bytes)) return SCV_ENOMEM;
    uint32_t *p = scv__alloc(m, bytes), *s = scv__alloc(m, bytes), *n = scv__alloc(m, bytes);
    if (p == NULL || s == NULL || n == NULL) {
        scv__free(m, p, bytes);
        scv__free(m, s, bytes);
        scv__free(m, n, bytes);
        return SCV_ENOMEM;
    }
    g->parent = moved(m, p, g->parent, g->len, g->cap);
    g->size = moved(m, s, g->size, g->len, g->cap);
    g->next = moved(m, n, g->next, g->len, g->cap);
    g->cap = cap;
    return SCV_OK;
}

uint32_t scv__graph_add(scv__graph *g)
{
    uint32_t x = (uint32_t)g->len++;
    g->parent[x] = x;
    g->size[x] = 1;
    g->next[x] = x;
    return x;
}

void scv__graph_isolate(scv__graph *g, uint32_t x)
{
    g->parent[x] = x;
    g->size[x] = 1;
    g->next[x] = x;
}

uint32_t scv__graph_unite(scv__graph *g, uint32_t ra, uint32_t rb)
{
    uint32_t t;
    if (g->size[ra] < g->size[rb]) {
        t = ra;
        ra = rb;
        rb = t;
    }
    g->parent[rb] = ra;
    g->size[ra] += g->size[rb];
    /* Splice the two circular member lists. */
    t = g->next[ra];
    g->next[ra] = g->next[rb];
    g->next[rb] = t;
    return ra;
}
