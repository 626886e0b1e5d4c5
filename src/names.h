/* names.h — an interned set of short names (kinds, sources, trait and measure names) with
 * dense ids 0..count-1 in insertion order. Internal. */
#ifndef SCV_NAMES_H
#define SCV_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "htab.h"
#include "util/mem.h"

typedef struct scv__name {
    uint32_t off;
    uint32_t len;
} scv__name;

typedef struct scv__names {
    SCV__VEC(char) bytes;
    SCV__VEC(scv__name) items;
    SCV__VEC(scv__h128) keys; /* hash of each name, for the index */
    scv__htab index;
    /* id + 1 of a recently interned name, by its length and first byte: the same few trait
     * and measure names come with every record, and this finds them without hashing. */
    uint32_t recent[8];
} scv__names;

/* Bytes that can be read from the start of any name, however short: the table keeps that
 * much room, zeroed, past its last name (see scv__names_reserve() and scv__names_copy()). */
#define SCV__NAMES_BLOCK 16

void scv__names_free(const scv__mem *m, scv__names *n);

/* Id of a name, or SCV__NONE. */
uint32_t scv__names_find(const scv__names *n, const char *s, size_t len);

/* Make room for `count` more names of `bytes` bytes in total, so that the next such adds
 * cannot fail (and SCV__NAMES_BLOCK bytes past them). */
static inline scv_status scv__names_reserve(const scv__mem *m, scv__names *n, size_t count, size_t bytes)
{
    scv_status st;
    if (bytes > SIZE_MAX - SCV__NAMES_BLOCK) return SCV_ENOMEM;
    if ((st = SCV__VEC_RESERVE(m, n->bytes, bytes + SCV__NAMES_BLOCK)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, n->items, count)) != SCV_OK) return st;
    if ((st = SCV__VEC_RESERVE(m, n->keys, count)) != SCV_OK) return st;
    return scv__htab_reserve(m, &n->index, n->items.len + count);
}

/* The recent-name cache slot of a name: by its length and first byte. */
static inline size_t scv__names_recent_slot(const char *s, size_t len)
{
    return (len + (len > 0 ? (unsigned char)s[0] : 0)) & 7;
}

/* scv__names_intern() past the recent-name cache: find or add, and remember. */
uint32_t scv__names_intern_slow(scv__names *n, const char *s, size_t len);

/* Find or add (room reserved beforehand); returns the id. The cache check is inline: it
 * answers nearly every field of nearly every record. */
static inline uint32_t scv__names_intern(scv__names *n, const char *s, size_t len)
{
    uint32_t recent = n->recent[scv__names_recent_slot(s, len)], id = recent - 1;
    if (recent != 0 && n->items.data[id].len == len &&
        scv__equal_short(n->bytes.data + n->items.data[id].off, s, len))
        return id;
    return scv__names_intern_slow(n, s, len);
}

/* Find or add, reserving as needed. On failure nothing changes. */
scv_status scv__names_add(const scv__mem *m, scv__names *n, const char *s, size_t len,
                          uint32_t *id);

static inline const char *scv__names_get(const scv__names *n, uint32_t id, size_t *len)
{
    *len = n->items.data[id].len;
    return n->bytes.data + n->items.data[id].off;
}

/* Copy name id to out, which has room for SCV__NAMES_BLOCK bytes or the name if longer, and
 * return its length. A name that short (every built-in kind, most sources) is copied as one
 * fixed-size move, together with the bytes after it: the record builder copies a kind or
 * source name in front of everything it hashes, and a copy of the name's own length took
 * twice the instructions. */
static inline size_t scv__names_copy(const scv__names *n, uint32_t id, char *out)
{
    size_t len;
    const char *s = scv__names_get(n, id, &len);
    if (len <= SCV__NAMES_BLOCK)
        memcpy(out, s, SCV__NAMES_BLOCK);
    else
        scv__copy_short(out, s, len);
    return len;
}

static inline size_t scv__names_count(const scv__names *n)
{
    return n->items.len;
}

#endif
