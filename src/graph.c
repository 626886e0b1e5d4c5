/* graph.c — see graph.h. */
#include "graph.h"

void scv__graph_free(const scv__mem *m, scv__graph *g)
{
    scv__free(m, g->node, g->cap * sizeof *g->node);
    g->node = NULL;
    g->len = g->cap = 0;
}

uint32_t scv__graph_add(scv__graph *g)
{
    uint32_t x = (uint32_t)g->len++;
    scv__graph_isolate(g, x);
    return x;
}

void scv__graph_isolate(scv__graph *g, uint32_t x)
{
    scv__node n = {x, 1, x, 0};
    g->node[x] = n;
}

uint32_t scv__graph_unite(scv__graph *g, uint32_t ra, uint32_t rb)
{
    uint32_t t;
    if (g->node[ra].size < g->node[rb].size) {
        t = ra;
        ra = rb;
        rb = t;
    }
    g->node[rb].parent = ra;
    g->node[ra].size += g->node[rb].size;
    /* Splice the two circular member lists. */
    t = g->node[ra].next;
    g->node[ra].next = g->node[rb].next;
    g->node[rb].next = t;
    return ra;
}
