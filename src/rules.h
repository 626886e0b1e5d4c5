/* rules.h — resolution rules: per-kind limits and generic thresholds, kind priority, profile
 * size guards, and the built-in list of placeholder values. Internal. */
#ifndef SCV_RULES_H
#define SCV_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "scv.h"

#define SCV__NO_SLOT 0xFFu
#define SCV__DEFAULT_GENERIC 10u
#define SCV__DEFAULT_MAX_RECORDS 50000u
#define SCV__DEFAULT_MAX_IDENTIFIERS 5000u

typedef struct scv__rules {
    uint32_t limit[SCV_MAX_KINDS];   /* max distinct linking values per profile; 0 = none */
    uint32_t generic[SCV_MAX_KINDS]; /* generic threshold G; 0 = rule off */
    uint8_t rank[SCV_MAX_KINDS];     /* priority rank, 0 = highest */
    uint8_t slot[SCV_MAX_KINDS];     /* index among limited kinds, or SCV__NO_SLOT */
    uint8_t n_limited;
    uint32_t slot_limit[SCV_MAX_KINDS]; /* by slot: the limit of the kind in that slot */
    uint32_t max_records;     /* per profile; 0 = unlimited */
    uint32_t max_identifiers; /* linking identifiers per profile; 0 = unlimited */
    int default_blocklist;
} scv__rules;

/* Defaults for the built-in kinds. */
void scv__rules_init(scv__rules *r);

/* A newly registered kind: lowest priority so far, default generic threshold. */
void scv__rules_add_kind(scv__rules *r, uint32_t kind);

/* Set a limit and renumber the limited kinds' slots. */
void scv__rules_set_limit(scv__rules *r, uint32_t kind, uint32_t max_values, uint32_t n_kinds);

/* Reorder priorities: kinds[0..n) first, the others after in their current order.
 * Returns 0 when kinds has duplicates or unknown kinds. */
int scv__rules_set_priority(scv__rules *r, const uint32_t *kinds, size_t n, uint32_t n_kinds);

/* Whether a normalized value of a kind with normalizer `norm` is a built-in placeholder. */
int scv__rules_placeholder(scv_normalizer norm, const char *value, size_t len);

/* The same for an e-mail with its '@' at value[at] (the first '@'), and for a value of an
 * exact or case-folded kind: for callers that know the kind's normalizer already. */
int scv__rules_placeholder_email(const char *value, size_t len, size_t at);
int scv__rules_placeholder_word(const char *value, size_t len);

#endif
