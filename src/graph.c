/* graph.c — see graph.h. */
#include "graph.h"

void scv__graph_free(const scv__mem *m, scv__graph *g)
{
    scv__free(m, g->node, g->cap * sizeof *g->node);
    g->node = NULL;
    g->len = g->cap = 0;
}
