/* rules.h — the resolution-rule options of `scv resolve/profiles/segment`:
 *   --limit KIND=N           at most N values of KIND per profile (repeatable)
 *   --priority KIND,KIND,... kind priority, highest first
 *   --block KIND=VALUE       never link VALUE of KIND (repeatable)
 *   --generic-threshold N    generic-value threshold for every kind (0 = off), or KIND=N
 * They are collected while parsing and applied to a fresh engine before any record. */
#ifndef SCV_CLI_RULES_H
#define SCV_CLI_RULES_H

#include <stddef.h>

#include "scv.h"

typedef enum { RULE_LIMIT, RULE_PRIORITY, RULE_BLOCK, RULE_GENERIC } rule_kind;

typedef struct {
    rule_kind kind;
    const char *text; /* the option's value, pointing into argv */
} rule_option;

/* If `name` is a rule option's name (without "--"), return 1 and set *kind. */
int rules_option_name(const char *name, rule_kind *kind);

/* Apply the options in order. Reports problems on stderr; returns 0, or 2 (usage). */
int rules_apply(scv_engine *engine, const rule_option *opts, size_t n);

#endif
