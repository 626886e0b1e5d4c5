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

/* For an engine loaded from --state: its rules are fixed, so only --block applies; the other
 * rule options are reported as ignored. Returns 0, or 2. */
int rules_apply_to_state(scv_engine *engine, const rule_option *opts, size_t n);

/* The rules in force once options that rules_apply() accepted are applied to a fresh engine
 * (the engine has no getters for them; the report shows them). */
typedef struct {
    uint32_t limit[SCV_MAX_KINDS];    /* at most N values per profile; 0 = no limit */
    uint32_t generic[SCV_MAX_KINDS];  /* generic-value threshold; 0 = rule off */
    scv_kind priority[SCV_MAX_KINDS]; /* every kind, highest priority first */
    uint32_t nkinds;
    size_t blocked;                   /* values given with --block */
    uint32_t max_records;             /* size guards (the library's defaults) */
    uint32_t max_identifiers;
} rules_summary;

/* Fill *out for `engine` (kinds as registered now) and the options given. */
void rules_summarize(const scv_engine *engine, const rule_option *opts, size_t n,
                     rules_summary *out);

#endif
