/* query_ast.h — the parsed form of a segment query (see DESIGN.md for the grammar):
 *
 *   expr   := expr 'or' expr | expr 'and' expr | 'not' expr | '(' expr ')' | test
 *   test   := term OP literal | 'has' '(' KIND ')' | 'seen' '(' SOURCE ')'
 *           | 'consent' '(' CHANNEL ')'
 *   term   := AGG '(' MEASURE [',' DURATION] ')' | 'records' | 'trait' '(' NAME ')'
 *           | 'days_since_first_seen' | 'days_since_last_seen' | 'rfm_r' | 'rfm_f' | 'rfm_m'
 *   AGG    := 'count' | 'sum' | 'avg' | 'min' | 'max'
 *   OP     := '=' | '!=' | '<' | '<=' | '>' | '>='
 *   literal:= number | "string"            DURATION := integer 'd'   (e.g. 90d)
 *
 * Precedence: 'not' binds tightest, then 'and', then 'or'; 'and' and 'or' are left
 * associative. Keywords are case-insensitive. KIND, SOURCE, CHANNEL, MEASURE and NAME are a
 * bare word ([A-Za-z_][A-Za-z0-9_]*, kept as written) or a "string". Internal. */
#ifndef SCV_QUERY_AST_H
#define SCV_QUERY_AST_H

#include <stddef.h>
#include <stdint.h>

#include "scv.h"
#include "util/mem.h"

typedef enum scv__qnode_type {
    SCV__Q_OR,      /* a or b */
    SCV__Q_AND,     /* a and b */
    SCV__Q_NOT,     /* not a */
    SCV__Q_CMP,     /* term op literal */
    SCV__Q_HAS,     /* has(KIND) */
    SCV__Q_SEEN,    /* seen(SOURCE) */
    SCV__Q_CONSENT  /* consent(CHANNEL) */
} scv__qnode_type;

typedef enum scv__qterm {
    SCV__T_COUNT, SCV__T_SUM, SCV__T_AVG, SCV__T_MIN, SCV__T_MAX, /* AGG(MEASURE[, window]) */
    SCV__T_RECORDS,
    SCV__T_TRAIT,
    SCV__T_DAYS_FIRST, /* days_since_first_seen */
    SCV__T_DAYS_LAST,  /* days_since_last_seen */
    SCV__T_RFM_R, SCV__T_RFM_F, SCV__T_RFM_M
} scv__qterm;

typedef enum scv__qop { SCV__OP_EQ, SCV__OP_NE, SCV__OP_LT, SCV__OP_LE, SCV__OP_GT, SCV__OP_GE } scv__qop;

/* A name or string literal: bytes in the query's string pool (escapes already resolved). */
typedef struct scv__qstr {
    uint32_t off, len;
} scv__qstr;

typedef struct scv__qnode {
    scv__qnode_type type;
    uint32_t at;        /* byte offset in the query text where this node starts */
    uint32_t a, b;      /* children (node indexes): OR/AND use a and b, NOT uses a */
    /* CMP */
    scv__qterm term;
    scv__qstr name;     /* MEASURE or trait NAME; HAS/SEEN/CONSENT: KIND/SOURCE/CHANNEL */
    int64_t window_days; /* AGG with a DURATION: the number of days; 0 = none */
    scv__qop op;
    int lit_is_string;
    double lit_num;
    scv__qstr lit_str;
} scv__qnode;

typedef struct scv__qast {
    SCV__VEC(scv__qnode) nodes;
    SCV__VEC(char) pool; /* names and string literals */
    uint32_t root;
} scv__qast;

/*
 * Parse text[0..len) into ast (zero-initialised by the caller; free with scv__qast_free even
 * on failure). Returns SCV_OK, SCV_ESYNTAX (with *reason a static sentence and *offset the
 * byte offset of the offending token, or len for an unexpected end), SCV_ETOOLONG (text over
 * 64 KiB or nested deeper than 256), SCV_ENOMEM. Never reads outside text[0..len).
 * On success pool.data is not NULL (even when every name is empty); on failure nodes.len and
 * pool.len are 0. SCV_EINVAL when m or ast is NULL or text is NULL with len > 0.
 */
scv_status scv__query_parse(const scv__mem *m, const char *text, size_t len, scv__qast *ast,
                            const char **reason, size_t *offset);

void scv__qast_free(const scv__mem *m, scv__qast *ast);

#endif
