/* records.c — see records.h. */
#include "records.h"

#include <string.h>

void scv__records_free(const scv__mem *m, scv__records *r)
{
    scv__htab_free(m, &r->index);
    SCV__VEC_FREE(m, r->rec);
    SCV__VEC_FREE(m, r->ids);
    SCV__VEC_FREE(m, r->slot_next);
    SCV__VEC_FREE(m, r->raw);
    SCV__VEC_FREE(m, r->fields);
    SCV__VEC_FREE(m, r->bytes);
    r->garbage_bytes = 0;
}

size_t scv__records_bytes(const scv__records *r)
{
    return scv__htab_bytes(&r->index) +
           r->rec.cap * sizeof *r->rec.data + r->ids.cap * sizeof *r->ids.data +
           r->slot_next.cap * sizeof *r->slot_next.data +
           r->raw.cap * sizeof *r->raw.data + r->fields.cap * sizeof *r->fields.data +
           r->bytes.cap;
}
