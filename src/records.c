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

uint64_t scv__records_put_bytes(scv__records *r, const char *s, size_t len)
{
    uint64_t off = r->bytes.len;
    scv__copy_short(r->bytes.data + off, s, len);
    r->bytes.len += len;
    return off;
}

uint32_t scv__records_append(scv__records *r, scv__h128 key, uint16_t source, const char *id,
                             size_t id_len)
{
    uint32_t x = (uint32_t)r->rec.len;
    scv__rec *rec = &r->rec.data[r->rec.len++];
    memset(rec, 0, sizeof *rec);
    rec->ts = INT64_MIN;
    rec->source = source;
    rec->id_len = (uint16_t)id_len;
    rec->id_off = scv__records_put_bytes(r, id, id_len);
    rec->ids_off = (uint32_t)r->ids.len;
    rec->fields_off = (uint32_t)r->fields.len;
    scv__htab_insert(&r->index, key, x);
    return x;
}

uint32_t scv__records_find(const scv__records *r, scv__h128 key, uint16_t source, const char *id,
                           size_t len)
{
    const scv__htab *t = &r->index;
    if (t->slots == NULL) return SCV__NONE;
    uint32_t tag = scv__htab_tag(key);
    for (size_t i = scv__htab_home(t, tag);; i = scv__htab_step(t, i)) {
        uint64_t s = t->slots[i];
        if (s == 0) return SCV__NONE;
        if ((uint32_t)(s >> 32) != tag) continue;
        const scv__rec *rec = &r->rec.data[(uint32_t)s - 1u];
        if (rec->source == source && rec->id_len == len &&
            scv__equal_short(r->bytes.data + rec->id_off, id, len))
            return (uint32_t)s - 1u;
    }
}

uint32_t *scv__records_ids_slot(scv__records *r, uint32_t x, size_t n)
{
    scv__rec *rec = &r->rec.data[x];
    if (n > rec->ids_n) {
        rec->ids_off = (uint32_t)r->ids.len;
        r->ids.len += n;
        r->slot_next.len += n;
        if (r->keep_raw) r->raw.len += n;
    }
    rec->ids_n = (uint8_t)n;
    return r->ids.data + rec->ids_off;
}

scv__field *scv__records_fields_slot(scv__records *r, uint32_t x, size_t n)
{
    scv__rec *rec = &r->rec.data[x];
    for (size_t i = 0; i < rec->fields_n; i++) {
        const scv__field *f = &r->fields.data[rec->fields_off + i];
        if (SCV__IS_TRAIT(f->len)) r->garbage_bytes += f->len;
    }
    if (n > rec->fields_n) {
        rec->fields_off = (uint32_t)r->fields.len;
        r->fields.len += n;
    }
    rec->fields_n = (uint16_t)n;
    return r->fields.data + rec->fields_off;
}

size_t scv__records_bytes(const scv__records *r)
{
    return scv__htab_bytes(&r->index) +
           r->rec.cap * sizeof *r->rec.data + r->ids.cap * sizeof *r->ids.data +
           r->slot_next.cap * sizeof *r->slot_next.data +
           r->raw.cap * sizeof *r->raw.data + r->fields.cap * sizeof *r->fields.data +
           r->bytes.cap;
}
