/* test_query_parse.c — the segment-query lexer and parser (src/query_parse.c). */
#include "test.h"

#include "query_ast.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- helpers ---------------------------------------------------------------------------- */

static scv__mem libc_mem(void)
{
    scv__mem m;
    assert_ok(scv__mem_init(&m, NULL));
    return m;
}

/* A growable C string. */
typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (b->len + n + 1 > cap) cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n > 0) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_putc(sbuf *b, char c)
{
    sb_putn(b, &c, 1);
}

static const char *pool_at(const scv__qast *ast, scv__qstr s)
{
    return s.len == 0 ? "" : ast->pool.data + s.off;
}

static int qstr_eq(const scv__qast *ast, scv__qstr s, const char *want)
{
    return s.len == strlen(want) && memcmp(pool_at(ast, s), want, s.len) == 0;
}

static int is_bare_word(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return 0;
    }
    return 1;
}

static void print_quoted(sbuf *b, const char *s, size_t n)
{
    sb_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') sb_putc(b, '\\');
        sb_putc(b, s[i]);
    }
    sb_putc(b, '"');
}

/* Names bare when they can be, else quoted. */
static void print_name(sbuf *b, const scv__qast *ast, scv__qstr s)
{
    if (is_bare_word(pool_at(ast, s), s.len)) sb_putn(b, pool_at(ast, s), s.len);
    else print_quoted(b, pool_at(ast, s), s.len);
}

static const char *const term_names[] = {"count", "sum", "avg", "min", "max", "records", "trait",
                                         "days_since_first_seen", "days_since_last_seen",
                                         "rfm_r", "rfm_f", "rfm_m"};
static const char *const op_names[] = {"=", "!=", "<", "<=", ">", ">="};

/* The AST back to text, every and/or/not fully parenthesised. */
static void print_node(sbuf *b, const scv__qast *ast, uint32_t i)
{
    const scv__qnode *n;
    char num[64];
    assert_true(i < ast->nodes.len);
    n = &ast->nodes.data[i];
    switch (n->type) {
    case SCV__Q_OR:
    case SCV__Q_AND:
        sb_putc(b, '(');
        print_node(b, ast, n->a);
        sb_puts(b, n->type == SCV__Q_OR ? " or " : " and ");
        print_node(b, ast, n->b);
        sb_putc(b, ')');
        return;
    case SCV__Q_NOT:
        sb_puts(b, "(not ");
        print_node(b, ast, n->a);
        sb_putc(b, ')');
        return;
    case SCV__Q_HAS:
    case SCV__Q_SEEN:
    case SCV__Q_CONSENT:
        sb_puts(b, n->type == SCV__Q_HAS ? "has(" : n->type == SCV__Q_SEEN ? "seen(" : "consent(");
        print_name(b, ast, n->name);
        sb_putc(b, ')');
        return;
    case SCV__Q_CMP:
        sb_puts(b, term_names[n->term]);
        if (n->term <= SCV__T_MAX || n->term == SCV__T_TRAIT) {
            sb_putc(b, '(');
            print_name(b, ast, n->name);
            if (n->window_days != 0) {
                snprintf(num, sizeof num, ", %lldd", (long long)n->window_days);
                sb_puts(b, num);
            }
            sb_putc(b, ')');
        } else {
            assert_int_equal(n->name.len, 0);
        }
        if (n->term > SCV__T_MAX) assert_int_equal(n->window_days, 0);
        sb_putc(b, ' ');
        sb_puts(b, op_names[n->op]);
        sb_putc(b, ' ');
        if (n->lit_is_string) {
            print_quoted(b, pool_at(ast, n->lit_str), n->lit_str.len);
        } else {
            snprintf(num, sizeof num, "%.17g", n->lit_num);
            sb_puts(b, num);
        }
        return;
    }
    fail_msg("bad node type %d", (int)n->type);
}

/* Parse `text` (must succeed) and return its printed form (caller frees). */
static char *parse_print_n(const char *text, size_t len)
{
    scv__mem m = libc_mem();
    scv__qast ast = {0};
    const char *reason = NULL;
    size_t off = 0;
    sbuf b = {0};
    scv_status st = scv__query_parse(&m, text, len, &ast, &reason, &off);
    if (st != SCV_OK) {
        fail_msg("parse of '%.*s' failed: %s, %s at %zu", (int)len, text, scv_status_str(st),
                 reason ? reason : "(null)", off);
    }
    assert_null(reason);
    print_node(&b, &ast, ast.root);
    scv__qast_free(&m, &ast);
    return b.p;
}

static char *parse_print(const char *text)
{
    return parse_print_n(text, strlen(text));
}

/* Assert the printed form of a query. */
#define assert_prints(text, want)                                                             \
    do {                                                                                      \
        char *got_p_ = parse_print(text);                                                     \
        assert_string_equal(got_p_, (want));                                                  \
        free(got_p_);                                                                         \
    } while (0)

/* Parse text that must succeed into *ast (libc allocator). */
static void parse_ok(const char *text, scv__qast *ast)
{
    scv__mem m = libc_mem();
    const char *reason = NULL;
    size_t off = 0;
    scv_status st = scv__query_parse(&m, text, strlen(text), ast, &reason, &off);
    if (st != SCV_OK) {
        fail_msg("parse of '%s' failed: %s at %zu", text, reason ? reason : "(null)", off);
    }
}

static void free_ast(scv__qast *ast)
{
    scv__mem m = libc_mem();
    scv__qast_free(&m, ast);
}

static const scv__qnode *root_of(const scv__qast *ast)
{
    assert_true(ast->root < ast->nodes.len);
    return &ast->nodes.data[ast->root];
}

/* Parse text[0..len) expecting status `want`, `reason` and `offset`. The text is copied into
 * a buffer of exactly len bytes, so a read past the end shows under the sanitizers. */
static void check_error_n(const char *text, size_t len, scv_status want, const char *want_reason,
                          size_t want_off, int line)
{
    scv__mem m = libc_mem();
    scv__qast ast = {0};
    const char *reason = NULL;
    size_t off = 12345;
    char *copy = malloc(len ? len : 1);
    scv_status st;
    assert_non_null(copy);
    if (len > 0) memcpy(copy, text, len);
    st = scv__query_parse(&m, copy, len, &ast, &reason, &off);
    if (st != want || reason == NULL || strcmp(reason, want_reason) != 0 || off != want_off) {
        fail_msg("line %d: '%.*s': got %s, '%s' at %zu; expected %s, '%s' at %zu", line,
                 (int)(len > 200 ? 200 : len), text, scv_status_str(st),
                 reason ? reason : "(null)", off, scv_status_str(want), want_reason, want_off);
    }
    assert_int_equal(ast.nodes.len, 0); /* a failed parse leaves no nodes behind */
    assert_int_equal(ast.pool.len, 0);
    scv__qast_free(&m, &ast);
    free(copy);
}

#define check_syntax(text, reason, off)                                                       \
    check_error_n((text), strlen(text), SCV_ESYNTAX, (reason), (off), __LINE__)

/* ---- grammar productions ---------------------------------------------------------------- */

static void test_has_kind(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("has(email)", &ast);
    assert_int_equal(ast.nodes.len, 1);
    assert_int_equal(root_of(&ast)->type, SCV__Q_HAS);
    assert_true(qstr_eq(&ast, root_of(&ast)->name, "email"));
    assert_int_equal(root_of(&ast)->at, 0);
    free_ast(&ast);
}

static void test_seen_source(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("  seen(pos)", &ast);
    assert_int_equal(root_of(&ast)->type, SCV__Q_SEEN);
    assert_true(qstr_eq(&ast, root_of(&ast)->name, "pos"));
    assert_int_equal(root_of(&ast)->at, 2);
    free_ast(&ast);
}

static void test_consent_channel(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("consent(newsletter)", &ast);
    assert_int_equal(root_of(&ast)->type, SCV__Q_CONSENT);
    assert_true(qstr_eq(&ast, root_of(&ast)->name, "newsletter"));
    free_ast(&ast);
}

static void test_records_comparison(void **state)
{
    scv__qast ast = {0};
    const scv__qnode *n;
    (void)state;
    parse_ok("records >= 3", &ast);
    n = root_of(&ast);
    assert_int_equal(n->type, SCV__Q_CMP);
    assert_int_equal(n->term, SCV__T_RECORDS);
    assert_int_equal(n->op, SCV__OP_GE);
    assert_int_equal(n->lit_is_string, 0);
    assert_true(n->lit_num == 3.0);
    assert_int_equal(n->window_days, 0);
    assert_int_equal(n->name.len, 0);
    free_ast(&ast);
}

static void test_trait_comparison_with_string(void **state)
{
    scv__qast ast = {0};
    const scv__qnode *n;
    (void)state;
    parse_ok("trait(city) = \"Berlin\"", &ast);
    n = root_of(&ast);
    assert_int_equal(n->type, SCV__Q_CMP);
    assert_int_equal(n->term, SCV__T_TRAIT);
    assert_true(qstr_eq(&ast, n->name, "city"));
    assert_int_equal(n->op, SCV__OP_EQ);
    assert_int_equal(n->lit_is_string, 1);
    assert_true(qstr_eq(&ast, n->lit_str, "Berlin"));
    free_ast(&ast);
}

static void test_trait_comparison_with_number(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("trait(age) > 30", &ast);
    assert_int_equal(root_of(&ast)->lit_is_string, 0);
    assert_true(root_of(&ast)->lit_num == 30.0);
    free_ast(&ast);
}

static void test_number_term_with_string_literal(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("records = \"3\"", &ast); /* the evaluator decides what a mismatch means */
    assert_int_equal(root_of(&ast)->lit_is_string, 1);
    assert_true(qstr_eq(&ast, root_of(&ast)->lit_str, "3"));
    free_ast(&ast);
}

static void test_every_aggregate(void **state)
{
    static const struct {
        const char *text;
        scv__qterm term;
    } cases[] = {
        {"count(order_total) > 1", SCV__T_COUNT}, {"sum(order_total) > 1", SCV__T_SUM},
        {"avg(order_total) > 1", SCV__T_AVG},     {"min(order_total) > 1", SCV__T_MIN},
        {"max(order_total) > 1", SCV__T_MAX},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scv__qast ast = {0};
        parse_ok(cases[i].text, &ast);
        assert_int_equal(root_of(&ast)->type, SCV__Q_CMP);
        assert_int_equal(root_of(&ast)->term, cases[i].term);
        assert_true(qstr_eq(&ast, root_of(&ast)->name, "order_total"));
        assert_int_equal(root_of(&ast)->window_days, 0);
        free_ast(&ast);
    }
}

static void test_aggregate_with_duration(void **state)
{
    scv__qast ast = {0};
    const scv__qnode *n;
    (void)state;
    parse_ok("sum(order_total, 90d) > 500", &ast);
    n = root_of(&ast);
    assert_int_equal(n->term, SCV__T_SUM);
    assert_true(qstr_eq(&ast, n->name, "order_total"));
    assert_int_equal(n->window_days, 90);
    assert_int_equal(n->op, SCV__OP_GT);
    assert_true(n->lit_num == 500.0);
    free_ast(&ast);
    assert_prints("count(x,7D)>0", "count(x, 7d) > 0");
    assert_prints("avg( x ,\t30d ) < 2", "avg(x, 30d) < 2");
}

static void test_duration_bounds(void **state)
{
    (void)state;
    assert_prints("sum(m, 1d) > 0", "sum(m, 1d) > 0");
    assert_prints("sum(m, 36500d) > 0", "sum(m, 36500d) > 0");
    assert_prints("sum(m, 0007d) > 0", "sum(m, 7d) > 0");
}

static void test_days_since_terms(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("days_since_first_seen > 10 and days_since_last_seen <= 2.5", &ast);
    assert_int_equal(root_of(&ast)->type, SCV__Q_AND);
    assert_int_equal(ast.nodes.data[root_of(&ast)->a].term, SCV__T_DAYS_FIRST);
    assert_int_equal(ast.nodes.data[root_of(&ast)->b].term, SCV__T_DAYS_LAST);
    assert_true(ast.nodes.data[root_of(&ast)->b].lit_num == 2.5);
    free_ast(&ast);
}

static void test_rfm_terms(void **state)
{
    static const struct {
        const char *text;
        scv__qterm term;
    } cases[] = {{"rfm_r = 5", SCV__T_RFM_R}, {"rfm_f >= 4", SCV__T_RFM_F}, {"rfm_m < 2", SCV__T_RFM_M}};
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        scv__qast ast = {0};
        parse_ok(cases[i].text, &ast);
        assert_int_equal(root_of(&ast)->term, cases[i].term);
        free_ast(&ast);
    }
}

static void test_every_operator(void **state)
{
    static const struct {
        const char *text;
        scv__qop op;
    } cases[] = {
        {"records = 1", SCV__OP_EQ}, {"records == 1", SCV__OP_EQ}, {"records != 1", SCV__OP_NE},
        {"records < 1", SCV__OP_LT}, {"records <= 1", SCV__OP_LE}, {"records > 1", SCV__OP_GT},
        {"records >= 1", SCV__OP_GE}, {"records>=1", SCV__OP_GE},  {"records==1", SCV__OP_EQ},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scv__qast ast = {0};
        parse_ok(cases[i].text, &ast);
        assert_int_equal(root_of(&ast)->op, cases[i].op);
        free_ast(&ast);
    }
}

static void test_and_or_not_nodes(void **state)
{
    scv__qast ast = {0};
    const scv__qnode *n;
    (void)state;
    parse_ok("not has(email)", &ast);
    n = root_of(&ast);
    assert_int_equal(n->type, SCV__Q_NOT);
    assert_int_equal(ast.nodes.data[n->a].type, SCV__Q_HAS);
    free_ast(&ast);
    assert_prints("has(a) and has(b)", "(has(a) and has(b))");
    assert_prints("has(a) or has(b)", "(has(a) or has(b))");
}

/* ---- precedence, associativity, parentheses --------------------------------------------- */

static void test_and_binds_tighter_than_or(void **state)
{
    (void)state;
    assert_prints("has(a) or has(b) and has(c)", "(has(a) or (has(b) and has(c)))");
    assert_prints("has(a) and has(b) or has(c)", "((has(a) and has(b)) or has(c))");
}

static void test_not_binds_tighter_than_and(void **state)
{
    (void)state;
    assert_prints("not has(a) and has(b)", "((not has(a)) and has(b))");
    assert_prints("not has(a) or has(b)", "((not has(a)) or has(b))");
    assert_prints("has(a) and not has(b)", "(has(a) and (not has(b)))");
}

static void test_and_or_left_associative(void **state)
{
    (void)state;
    assert_prints("has(a) and has(b) and has(c)", "((has(a) and has(b)) and has(c))");
    assert_prints("has(a) or has(b) or has(c) or has(d)",
                  "(((has(a) or has(b)) or has(c)) or has(d))");
}

static void test_parentheses_override_precedence(void **state)
{
    (void)state;
    assert_prints("(has(a) or has(b)) and has(c)", "((has(a) or has(b)) and has(c))");
    assert_prints("not (has(a) or has(b))", "(not (has(a) or has(b)))");
    assert_prints("((((has(a)))))", "has(a)");
    assert_prints("has(a) and (has(b) or (has(c) and not (seen(d))))",
                  "(has(a) and (has(b) or (has(c) and (not seen(d)))))");
}

static void test_not_chain(void **state)
{
    scv__qast ast = {0};
    const scv__qnode *n;
    (void)state;
    assert_prints("not not not has(a)", "(not (not (not has(a))))");
    parse_ok("not not has(a)", &ast);
    n = root_of(&ast);
    assert_int_equal(n->type, SCV__Q_NOT);
    assert_int_equal(n->at, 0);
    assert_int_equal(ast.nodes.data[n->a].type, SCV__Q_NOT);
    assert_int_equal(ast.nodes.data[n->a].at, 4);
    assert_int_equal(ast.nodes.data[ast.nodes.data[n->a].a].type, SCV__Q_HAS);
    assert_int_equal(ast.nodes.data[ast.nodes.data[n->a].a].at, 8);
    free_ast(&ast);
}

static void test_node_offsets(void **state)
{
    scv__qast ast = {0};
    const scv__qnode *n, *l, *r;
    (void)state;
    /*        0123456789012345678901234567890123 */
    parse_ok("(has(a) or seen(b)) and records > 1", &ast);
    n = root_of(&ast);
    assert_int_equal(n->type, SCV__Q_AND);
    assert_int_equal(n->at, 0); /* the and starts with its left operand's '(' */
    l = &ast.nodes.data[n->a];
    r = &ast.nodes.data[n->b];
    assert_int_equal(l->type, SCV__Q_OR);
    assert_int_equal(l->at, 1);
    assert_int_equal(ast.nodes.data[l->a].at, 1);
    assert_int_equal(ast.nodes.data[l->b].at, 11);
    assert_int_equal(r->type, SCV__Q_CMP);
    assert_int_equal(r->at, 24);
    free_ast(&ast);
}

/* ---- lexical details -------------------------------------------------------------------- */

static void test_keywords_case_insensitive(void **state)
{
    (void)state;
    assert_prints("HAS(email) AnD NOT Seen(web) Or CONSENT(sms)",
                  "((has(email) and (not seen(web))) or consent(sms))");
    assert_prints("SUM(x, 90D) > 1 OR Count(x) > 1 or AVG(x) > 1 or MiN(x) > 1 or mAX(x) > 1",
                  "((((sum(x, 90d) > 1 or count(x) > 1) or avg(x) > 1) or min(x) > 1) or "
                  "max(x) > 1)");
    assert_prints("RECORDS > 1 and TRAIT(x) = \"a\" and DAYS_SINCE_FIRST_SEEN > 1 and "
                  "Days_Since_Last_Seen > 1 and RFM_R > 1 and Rfm_F > 1 and rFm_m > 1",
                  "((((((records > 1 and trait(x) = \"a\") and days_since_first_seen > 1) and "
                  "days_since_last_seen > 1) and rfm_r > 1) and rfm_f > 1) and rfm_m > 1)");
}

static void test_bare_names_kept_as_written(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("has(Email_2) and trait(_First9) = \"x\"", &ast);
    assert_true(qstr_eq(&ast, ast.nodes.data[root_of(&ast)->a].name, "Email_2"));
    assert_true(qstr_eq(&ast, ast.nodes.data[root_of(&ast)->b].name, "_First9"));
    free_ast(&ast);
    /* keywords are names in name position, as written */
    assert_prints("has(AND) or seen(records) or trait(Not) = 1",
                  "((has(AND) or seen(records)) or trait(Not) = 1)");
}

static void test_quoted_names(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("trait(\"first name\") = \"Jane\" and has(\"e-mail\") and sum(\"order total\", 7d) > 0",
             &ast);
    assert_prints("trait(\"first name\") = \"Jane\"", "trait(\"first name\") = \"Jane\"");
    assert_prints("has(\"email\")", "has(email)");
    assert_prints("sum(\"order total\", 7d) > 0", "sum(\"order total\", 7d) > 0");
    assert_prints("seen(\"\")", "seen(\"\")");
    free_ast(&ast);
}

/* Every name empty: the pool still exists, so pool.data + off is a valid pointer. */
static void test_empty_names_still_have_a_pool(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("has(\"\") and trait(\"\") = \"\"", &ast);
    assert_non_null(ast.pool.data);
    assert_int_equal(ast.pool.len, 0);
    assert_int_equal(ast.nodes.data[root_of(&ast)->a].name.len, 0);
    free_ast(&ast);
}

static void test_string_escapes(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("trait(x) = \"say \\\"hi\\\" \\\\ bye\"", &ast);
    assert_true(qstr_eq(&ast, root_of(&ast)->lit_str, "say \"hi\" \\ bye"));
    free_ast(&ast);
    parse_ok("has(\"a\\\\\")", &ast);
    assert_true(qstr_eq(&ast, root_of(&ast)->name, "a\\"));
    free_ast(&ast);
}

static void test_empty_string_literal(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("trait(x) != \"\"", &ast);
    assert_int_equal(root_of(&ast)->lit_is_string, 1);
    assert_int_equal(root_of(&ast)->lit_str.len, 0);
    assert_int_equal(root_of(&ast)->op, SCV__OP_NE);
    free_ast(&ast);
}

static void test_utf8_and_del_in_strings(void **state)
{
    scv__qast ast = {0};
    (void)state;
    parse_ok("trait(city) = \"M\xc3\xbcnchen \xe2\x82\xac\x7f\"", &ast);
    assert_true(qstr_eq(&ast, root_of(&ast)->lit_str, "M\xc3\xbcnchen \xe2\x82\xac\x7f"));
    free_ast(&ast);
}

static double num_of(const char *text)
{
    scv__qast ast = {0};
    double v;
    parse_ok(text, &ast);
    assert_int_equal(root_of(&ast)->lit_is_string, 0);
    v = root_of(&ast)->lit_num;
    free_ast(&ast);
    return v;
}

static void test_integer_literals(void **state)
{
    (void)state;
    assert_true(num_of("records > 0") == 0.0);
    assert_true(num_of("records > 42") == 42.0);
    assert_true(num_of("records > 007") == 7.0);
    assert_true(num_of("records > 9007199254740993") == 9007199254740992.0);
}

static void test_decimal_literals(void **state)
{
    (void)state;
    assert_true(num_of("records > 0.1") == 0.1);
    assert_true(num_of("records > 2.5") == 2.5);
    assert_true(num_of("records > 123.456") == 123.456);
    assert_true(num_of("records > 0.000001") == 0.000001);
}

static void test_negative_literals(void **state)
{
    double z;
    (void)state;
    assert_true(num_of("records > -3") == -3.0);
    assert_true(num_of("records > -0.75") == -0.75);
    assert_true(num_of("records>-1e2") == -100.0);
    z = num_of("records > -0");
    assert_true(z == 0.0);
}

static void test_exponent_literals(void **state)
{
    (void)state;
    assert_true(num_of("records > 1e3") == 1000.0);
    assert_true(num_of("records > 1E3") == 1000.0);
    assert_true(num_of("records > 1e+3") == 1000.0);
    assert_true(num_of("records > 25e-1") == 2.5);
    assert_true(num_of("records > 2.5E-3") == 0.0025);
    assert_true(num_of("records > 1.7976931348623157e308") == 1.7976931348623157e308);
    assert_true(num_of("records > 4.9406564584124654e-324") == 4.9406564584124654e-324);
    assert_true(num_of("records > 1e-400") == 0.0); /* underflow is finite */
    assert_true(num_of("records > 0e999999999999") == 0.0);
}

/* Long digit strings round exactly like strtod on the whole text. */
static void test_long_number_literals_round_correctly(void **state)
{
    static const char *const nums[] = {
        "0.1000000000000000055511151231257827021181583404541015625",
        "2.2250738585072011e-308",
        "1.00000000000000011102230246251565404236316680908203125", /* halfway: to even (1) */
        "1.00000000000000011102230246251565404236316680908203125000000000000000000001",
    };
    char text[2200];
    (void)state;
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        snprintf(text, sizeof text, "records > %s", nums[i]);
        assert_true(num_of(text) == strtod(nums[i], NULL));
    }
    assert_true(num_of("records > 1.00000000000000011102230246251565404236316680908203125") == 1.0);
    /* 1 followed by 1000 digits, the last one making it just above a halfway point */
    {
        char digits[1100];
        const char *half = "100000000000000011102230246251565404236316680908203125";
        size_t n = strlen(half);
        memcpy(digits, half, n);
        memset(digits + n, '0', 1000 - n);
        digits[999] = '1';
        digits[1000] = '\0';
        snprintf(text, sizeof text, "records > %.1s.%se-0", digits, digits + 1);
        assert_true(num_of(text) == strtod(text + 10, NULL));
        assert_true(num_of(text) == 1.0000000000000002); /* above halfway: up */
        snprintf(text, sizeof text, "records > %se-999", digits);
        assert_true(num_of(text) == strtod(text + 10, NULL));
    }
}

static void test_white_space(void **state)
{
    (void)state;
    assert_prints(" \t\r\nhas ( email ) \n and\tnot\r\n( records>5 ) \t",
                  "(has(email) and (not records > 5))");
    assert_prints("has(email)and(seen(web))or(records>5)",
                  "((has(email) and seen(web)) or records > 5)");
    assert_prints("trait(x)=\"a\"and records=1", "(trait(x) = \"a\" and records = 1)");
}

/* The text is not NUL-terminated: only text[0..len) is read. */
static void test_reads_only_len_bytes(void **state)
{
    static const char full[] = "records > 5123 and has(x)";
    char *exact;
    char *p;
    (void)state;
    p = parse_print_n(full, 11); /* "records > 5" */
    assert_string_equal(p, "records > 5");
    free(p);
    exact = malloc(16);
    assert_non_null(exact);
    memcpy(exact, "trait(n) = \"abc\"", 16); /* no NUL */
    p = parse_print_n(exact, 16);
    assert_string_equal(p, "trait(n) = \"abc\"");
    free(p);
    memcpy(exact, "records > 1.25e2", 16);
    p = parse_print_n(exact, 16);
    assert_string_equal(p, "records > 125");
    free(p);
    memcpy(exact, "sum(total, 90d)", 15);
    check_error_n(exact, 15, SCV_ESYNTAX, "unexpected end of query", 15, __LINE__);
    free(exact);
    check_error_n("has(x)", 0, SCV_ESYNTAX, "unexpected end of query", 0, __LINE__);
}

static void test_reason_and_offset_pointers_optional(void **state)
{
    scv__mem m = libc_mem();
    scv__qast ast = {0};
    const char *reason = "x";
    size_t off = 99;
    (void)state;
    assert_status(scv__query_parse(&m, S("records >"), &ast, NULL, NULL), SCV_ESYNTAX);
    assert_ok(scv__query_parse(&m, S("records > 1"), &ast, NULL, NULL));
    assert_ok(scv__query_parse(&m, S("records > 1"), &ast, &reason, &off));
    assert_null(reason);
    assert_int_equal(off, 0);
    scv__qast_free(&m, &ast);
}

static void test_ast_reused_after_success_and_failure(void **state)
{
    scv__mem m = libc_mem();
    scv__qast ast = {0};
    (void)state;
    assert_ok(scv__query_parse(&m, S("has(a) and has(b) and has(c)"), &ast, NULL, NULL));
    assert_int_equal(ast.nodes.len, 5);
    assert_status(scv__query_parse(&m, S("has(a) and"), &ast, NULL, NULL), SCV_ESYNTAX);
    assert_int_equal(ast.nodes.len, 0);
    assert_ok(scv__query_parse(&m, S("seen(zz)"), &ast, NULL, NULL));
    assert_int_equal(ast.nodes.len, 1);
    assert_int_equal(ast.root, 0);
    assert_true(qstr_eq(&ast, ast.nodes.data[0].name, "zz"));
    scv__qast_free(&m, &ast);
    scv__qast_free(&m, &ast); /* twice is harmless */
}

static void test_invalid_arguments(void **state)
{
    scv__mem m = libc_mem();
    scv__qast ast = {0};
    (void)state;
    assert_status(scv__query_parse(&m, NULL, 3, &ast, NULL, NULL), SCV_EINVAL);
    assert_status(scv__query_parse(&m, "x", 1, NULL, NULL, NULL), SCV_EINVAL);
    assert_status(scv__query_parse(NULL, "x", 1, &ast, NULL, NULL), SCV_EINVAL);
    check_error_n(NULL, 0, SCV_ESYNTAX, "unexpected end of query", 0, __LINE__);
    scv__qast_free(&m, &ast);
}

/* ---- every error, with its offset ------------------------------------------------------- */

static void test_error_unexpected_end(void **state)
{
    static const char *const R = "unexpected end of query";
    (void)state;
    check_syntax("", R, 0);
    check_syntax(" \t\r\n", R, 4);
    check_syntax("records >", R, 9);
    check_syntax("records", R, 7);
    check_syntax("has(email", R, 9);
    check_syntax("has(", R, 4);
    check_syntax("has", R, 3);
    check_syntax("not", R, 3);
    check_syntax("not not ", R, 8);
    check_syntax("records > 5 and", R, 15);
    check_syntax("has(a) or ", R, 10);
    check_syntax("(has(a)", R, 7);
    check_syntax("(", R, 1);
    check_syntax("sum(x,", R, 6);
    check_syntax("sum(x, 90d", R, 10);
    check_syntax("trait(x) =", R, 10);
}

static void test_error_expected_operator(void **state)
{
    static const char *const R = "expected a comparison operator";
    (void)state;
    check_syntax("records 5", R, 8);
    check_syntax("trait(x) \"a\"", R, 9);
    check_syntax("sum(x) and has(y)", R, 7);
    check_syntax("records(x) > 1", R, 7);
    check_syntax("days_since_last_seen)", R, 20);
}

static void test_error_expected_literal(void **state)
{
    static const char *const R = "expected a number or a string";
    (void)state;
    check_syntax("records > x", R, 10);
    check_syntax("records > (1)", R, 10);
    check_syntax("records => 5", R, 9);
    check_syntax("records <> 5", R, 9);
    check_syntax("records === 5", R, 10);
    check_syntax("rfm_r = ,", R, 8);
}

static void test_error_expected_lparen(void **state)
{
    static const char *const R = "expected '('";
    (void)state;
    check_syntax("has email", R, 4);
    check_syntax("seen)", R, 4);
    check_syntax("consent \"sms\"", R, 8);
    check_syntax("trait x = 1", R, 6);
    check_syntax("sum > 1", R, 4);
}

static void test_error_expected_rparen(void **state)
{
    static const char *const R = "expected ')'";
    (void)state;
    check_syntax("has(a b)", R, 6);
    check_syntax("has(a, b)", R, 5);
    check_syntax("(has(a) has(b))", R, 8);
    check_syntax("(records > 5 5)", R, 13);
    check_syntax("sum(x 90d) > 1", R, 6);
    check_syntax("sum(x, 90d 1) > 1", R, 11);
    check_syntax("trait(a,b) = 1", R, 7);
}

static void test_error_expected_name(void **state)
{
    static const char *const R = "expected a name";
    (void)state;
    check_syntax("has()", R, 4);
    check_syntax("has(5)", R, 4);
    check_syntax("sum(,90d) > 1", R, 4);
    check_syntax("trait((x)) = 1", R, 6);
    check_syntax("seen(90d)", R, 5);
}

static void test_error_unknown_keyword(void **state)
{
    static const char *const R = "unknown function or keyword";
    (void)state;
    check_syntax("foo > 1", R, 0);
    check_syntax("has(a) and bogus(x)", R, 11);
    check_syntax("recordz > 1", R, 0);
    check_syntax("not true", R, 4);
    check_syntax("(hasx(a))", R, 1);
}

static void test_error_expected_test(void **state)
{
    static const char *const R = "expected a test";
    (void)state;
    check_syntax("has(a) and or has(b)", R, 11);
    check_syntax("and has(a)", R, 0);
    check_syntax("()", R, 1);
    check_syntax("> 5", R, 0);
    check_syntax("5 > records", R, 0);
    check_syntax("\"x\" = 1", R, 0);
    check_syntax("not )", R, 4);
}

static void test_error_unterminated_string(void **state)
{
    static const char *const R = "unterminated string";
    (void)state;
    check_syntax("trait(x) = \"abc", R, 11);
    check_syntax("trait(x) = \"ab\\", R, 11);
    check_syntax("trait(x) = \"ab\\\"", R, 11);
    check_syntax("has(\"x", R, 4);
    check_syntax("\"", R, 0);
}

static void test_error_invalid_escape(void **state)
{
    static const char *const R = "invalid escape in string";
    (void)state;
    check_syntax("trait(x) = \"a\\nb\"", R, 13);
    check_syntax("has(\"\\u0041\")", R, 5);
    check_syntax("trait(x) = \"ok\\\\\\'\"", R, 16);
}

static void test_error_control_character_in_string(void **state)
{
    static const char *const R = "control character in string";
    (void)state;
    check_syntax("trait(x) = \"a\tb\"", R, 13);
    check_syntax("has(\"a\nb\")", R, 6);
    check_error_n("has(\"a\0b\")", 10, SCV_ESYNTAX, R, 6, __LINE__);
}

static void test_error_invalid_number(void **state)
{
    static const char *const R = "invalid number";
    (void)state;
    check_syntax("sum(order_total, 90x) > 1", R, 17);
    check_syntax("records > 1.", R, 10);
    check_syntax("records > 1.x", R, 10);
    check_syntax("records > 1e", R, 10);
    check_syntax("records > 1e+", R, 10);
    check_syntax("records > 1e+x", R, 10);
    check_syntax("records > -", R, 10);
    check_syntax("records > - 5", R, 10);
    check_syntax("records > --5", R, 10);
    check_syntax("records > 5x", R, 10);
    check_syntax("records > 5and has(a)", R, 10);
    check_syntax("records > 1.2.3", R, 10);
    check_syntax("records > 1e999", R, 10);
    check_syntax("records > -1e400", R, 10);
    check_syntax("sum(x, 90days) > 1", R, 7);
    check_syntax("sum(x, 1.5d) > 1", R, 7);
    check_syntax("sum(x, 9d9) > 1", R, 7);
}

static void test_error_duration_outside_aggregate(void **state)
{
    static const char *const R = "a duration (e.g. 90d) is only allowed in an aggregate";
    (void)state;
    check_syntax("records > 90d", R, 10);
    check_syntax("days_since_last_seen < 30D", R, 23);
    check_syntax("90d", R, 0);
    check_syntax("has(a) and 7d", R, 11);
}

static void test_error_expected_duration(void **state)
{
    static const char *const R = "expected a duration (e.g. 90d)";
    (void)state;
    check_syntax("sum(x, 90) > 1", R, 7);
    check_syntax("sum(x, \"90d\") > 1", R, 7);
    check_syntax("count(x, ) > 1", R, 9);
    check_syntax("max(x, d90) > 1", R, 7);
}

static void test_error_duration_out_of_range(void **state)
{
    static const char *const R = "duration out of range";
    (void)state;
    check_syntax("sum(x, 0d) > 1", R, 7);
    check_syntax("sum(x, 36501d) > 1", R, 7);
    check_syntax("sum(x, -5d) > 1", R, 7);
    check_syntax("sum(x, 99999999999999999999999d) > 1", R, 7);
}

static void test_error_unexpected_character(void **state)
{
    static const char *const R = "unexpected character";
    (void)state;
    check_syntax("records > 5 & has(a)", R, 12);
    check_syntax("records ! 5", R, 8);
    check_syntax("records > +5", R, 10);
    check_syntax("records > .5", R, 10);
    check_syntax("records ~ 5", R, 8);
    check_syntax("has(\xc3\xa9)", R, 4);
    check_syntax("has(a) ; has(b)", R, 7);
    check_syntax("has(a)\v", R, 6);
    check_error_n("has(a)\0", 7, SCV_ESYNTAX, R, 6, __LINE__);
}

static void test_error_trailing_tokens(void **state)
{
    static const char *const R = "expected 'and', 'or' or the end of the query";
    (void)state;
    check_syntax("records > 5 5", R, 12);
    check_syntax("has(a))", R, 6);
    check_syntax("has(a) has(b)", R, 7);
    check_syntax("has(a) not has(b)", R, 7);
    check_syntax("(has(a)) (has(b))", R, 9);
    check_syntax("has(a) , ", R, 7);
}

/* ---- limits ------------------------------------------------------------------------------ */

static void test_length_limit(void **state)
{
    size_t n = 65536;
    char *t = malloc(n + 1);
    char *p;
    (void)state;
    assert_non_null(t);
    memset(t, ' ', n + 1);
    memcpy(t, "has(a)", 6);
    p = parse_print_n(t, n); /* exactly 64 KiB: accepted */
    assert_string_equal(p, "has(a)");
    free(p);
    check_error_n(t, n + 1, SCV_ETOOLONG, "query too long", 65536, __LINE__);
    memset(t, '(', n + 1); /* too long is reported before anything else */
    check_error_n(t, n + 1, SCV_ETOOLONG, "query too long", 65536, __LINE__);
    free(t);
}

static char *nested_parens(size_t depth)
{
    sbuf b = {0};
    for (size_t i = 0; i < depth; i++) sb_putc(&b, '(');
    sb_puts(&b, "has(a)");
    for (size_t i = 0; i < depth; i++) sb_putc(&b, ')');
    return b.p;
}

static void test_depth_limit_parentheses(void **state)
{
    char *t = nested_parens(256), *p;
    (void)state;
    p = parse_print(t);
    assert_string_equal(p, "has(a)");
    free(p);
    free(t);
    t = nested_parens(257);
    check_error_n(t, strlen(t), SCV_ETOOLONG, "query nested too deeply", 256, __LINE__);
    free(t);
    t = nested_parens(5000);
    check_error_n(t, strlen(t), SCV_ETOOLONG, "query nested too deeply", 256, __LINE__);
    free(t);
}

static void test_depth_limit_not_chain(void **state)
{
    sbuf b = {0};
    scv__qast ast = {0};
    uint32_t i;
    unsigned k = 0;
    (void)state;
    for (int j = 0; j < 256; j++) sb_puts(&b, "NOT ");
    sb_puts(&b, "has(a)");
    parse_ok(b.p, &ast);
    for (i = ast.root; ast.nodes.data[i].type == SCV__Q_NOT; i = ast.nodes.data[i].a) {
        assert_int_equal(ast.nodes.data[i].at, 4 * k);
        k++;
    }
    assert_int_equal(k, 256);
    assert_int_equal(ast.nodes.data[i].type, SCV__Q_HAS);
    free_ast(&ast);
    b.len = 0;
    for (int j = 0; j < 300; j++) sb_puts(&b, "not ");
    sb_puts(&b, "has(a)");
    check_error_n(b.p, b.len, SCV_ETOOLONG, "query nested too deeply", 256 * 4, __LINE__);
    free(b.p);
}

static void test_depth_limit_mixed(void **state)
{
    sbuf b = {0};
    char *p;
    (void)state;
    /* 128 x "not (" = 256 levels: fine */
    for (int j = 0; j < 128; j++) sb_puts(&b, "not (");
    sb_puts(&b, "has(a)");
    for (int j = 0; j < 128; j++) sb_puts(&b, ")");
    p = parse_print(b.p);
    assert_int_equal(strncmp(p, "(not (not ", 10), 0);
    free(p);
    /* one more 'not' inside goes over, at its offset */
    b.len = 0;
    for (int j = 0; j < 128; j++) sb_puts(&b, "not (");
    sb_puts(&b, "not has(a)");
    for (int j = 0; j < 128; j++) sb_puts(&b, ")");
    check_error_n(b.p, b.len, SCV_ETOOLONG, "query nested too deeply", 128 * 5, __LINE__);
    /* siblings do not add up: depth is nesting, not count */
    b.len = 0;
    for (int j = 0; j < 300; j++) sb_puts(&b, j ? " and (not has(a))" : "(not has(a))");
    p = parse_print(b.p);
    free(p);
    free(b.p);
}

/* ---- allocation failures ---------------------------------------------------------------- */

typedef struct failing_alloc {
    size_t calls, fail_at; /* fail the fail_at-th call (1-based); 0 = never */
    long long live;        /* bytes held, from the size arguments */
    size_t blocks;
} failing_alloc;

static void *fa_alloc(void *ctx, size_t size)
{
    failing_alloc *fa = ctx;
    void *p;
    if (++fa->calls == fa->fail_at) return NULL;
    p = malloc(size);
    if (p != NULL) {
        fa->live += (long long)size;
        fa->blocks++;
    }
    return p;
}

static void *fa_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    failing_alloc *fa = ctx;
    void *p;
    if (++fa->calls == fa->fail_at) return NULL;
    p = realloc(ptr, new_size);
    if (p != NULL) fa->live += (long long)new_size - (long long)old_size;
    return p;
}

static void fa_free(void *ctx, void *ptr, size_t size)
{
    failing_alloc *fa = ctx;
    if (ptr == NULL) return;
    fa->live -= (long long)size;
    fa->blocks--;
    free(ptr);
}

static void test_allocation_failure_at_every_call(void **state)
{
    static const char q[] =
        "has(email) and not seen(\"web shop\") or sum(order_total, 90d) > 500 and "
        "trait(first_name) = \"Jane \\\"J\\\" Doe\" or (records >= 3 and consent(newsletter)) "
        "or not (count(orders, 30d) = 0 or avg(basket) < 12.5 or min(x) > -1 or max(y) != 2) "
        "and days_since_last_seen <= 7 and trait(\"a much longer trait name than usual\") = "
        "\"a much longer string literal than usual, to grow the pool again and again\" "
        "or rfm_r = 5 and rfm_f >= 4 and rfm_m > 3 and has(phone) and has(customer_id)";
    scv_allocator alc;
    failing_alloc fa;
    scv__mem m;
    size_t n, failures = 0;
    char *want = parse_print(q);
    (void)state;
    alc.alloc = fa_alloc;
    alc.realloc = fa_realloc;
    alc.free = fa_free;
    alc.ctx = &fa;
    for (n = 1;; n++) {
        scv__qast ast = {0};
        const char *reason = NULL;
        size_t off = 0;
        scv_status st;
        memset(&fa, 0, sizeof fa);
        fa.fail_at = n;
        assert_ok(scv__mem_init(&m, &alc));
        st = scv__query_parse(&m, q, strlen(q), &ast, &reason, &off);
        if (st == SCV_OK) {
            sbuf b = {0};
            assert_true(fa.calls < n); /* the failing call was never reached */
            print_node(&b, &ast, ast.root);
            assert_string_equal(b.p, want);
            free(b.p);
            scv__qast_free(&m, &ast);
            assert_int_equal(fa.live, 0);
            assert_int_equal(fa.blocks, 0);
            break;
        }
        assert_int_equal(st, SCV_ENOMEM);
        assert_non_null(reason);
        assert_int_equal(fa.calls, n); /* it stopped at the failure */
        assert_int_equal(ast.nodes.len, 0);
        scv__qast_free(&m, &ast);
        assert_int_equal(fa.live, 0);
        assert_int_equal(fa.blocks, 0);
        failures++;
        assert_true(n < 1000);
    }
    assert_true(failures >= 4); /* nodes and pool each allocated and grown */
    free(want);
}

/* ---- property: parse, print, parse, print ----------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint32_t rnd(rng *r, uint32_t n)
{
    r->s = r->s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((r->s >> 33) % n);
}

/* A keyword in random letter case. */
static void gen_kw(sbuf *b, rng *r, const char *kw)
{
    for (; *kw; kw++) {
        char c = *kw;
        if (c >= 'a' && c <= 'z' && rnd(r, 3) == 0) c = (char)(c - 'a' + 'A');
        sb_putc(b, c);
    }
}

static void gen_ws(sbuf *b, rng *r, int required)
{
    static const char *const ws[] = {" ", "  ", "\t", "\n", "\r\n", " \t "};
    if (!required && rnd(r, 2) == 0) return;
    sb_puts(b, ws[rnd(r, 6)]);
}

static void gen_string(sbuf *b, rng *r)
{
    static const char *const pieces[] = {"a", "Z", " ", "\\\"", "\\\\", "\xc3\xa9", "9", "_", "-"};
    unsigned n = rnd(r, 6);
    sb_putc(b, '"');
    for (unsigned i = 0; i < n; i++) sb_puts(b, pieces[rnd(r, 9)]);
    sb_putc(b, '"');
}

static void gen_name(sbuf *b, rng *r)
{
    static const char *const words[] = {"email", "Phone", "_x1", "order_total", "AND", "not",
                                        "records", "a"};
    if (rnd(r, 3) == 0) gen_string(b, r);
    else sb_puts(b, words[rnd(r, 8)]);
}

static void gen_number(sbuf *b, rng *r)
{
    static const char *const nums[] = {"0", "1", "-1", "42", "3.25", "-0.5", "1e3", "2.5E-3",
                                       "-7e+2", "0.1", "123456789012345678901234567890",
                                       "1.7976931348623157e308", "5e-324", "-0", "007.100"};
    sb_puts(b, nums[rnd(r, 15)]);
}

static void gen_test(sbuf *b, rng *r)
{
    static const char *const ops[] = {"=", "==", "!=", "<", "<=", ">", ">="};
    static const char *const aggs[] = {"count", "sum", "avg", "min", "max"};
    static const char *const plain[] = {"records", "days_since_first_seen", "days_since_last_seen",
                                        "rfm_r", "rfm_f", "rfm_m"};
    static const char *const tests[] = {"has", "seen", "consent"};
    unsigned k = rnd(r, 4);
    if (k == 0) {
        gen_kw(b, r, tests[rnd(r, 3)]);
        gen_ws(b, r, 0);
        sb_putc(b, '(');
        gen_ws(b, r, 0);
        gen_name(b, r);
        gen_ws(b, r, 0);
        sb_putc(b, ')');
        return;
    }
    if (k == 1) {
        char d[32];
        gen_kw(b, r, aggs[rnd(r, 5)]);
        sb_putc(b, '(');
        gen_name(b, r);
        if (rnd(r, 2)) {
            sb_putc(b, ',');
            gen_ws(b, r, 0);
            snprintf(d, sizeof d, "%u%c", 1 + rnd(r, 36500), rnd(r, 2) ? 'd' : 'D');
            sb_puts(b, d);
        }
        sb_putc(b, ')');
    } else if (k == 2) {
        gen_kw(b, r, "trait");
        sb_putc(b, '(');
        gen_name(b, r);
        sb_putc(b, ')');
    } else {
        gen_kw(b, r, plain[rnd(r, 6)]);
    }
    gen_ws(b, r, 0);
    sb_puts(b, ops[rnd(r, 7)]);
    gen_ws(b, r, 0);
    if (rnd(r, 2)) gen_number(b, r);
    else gen_string(b, r);
}

static void gen_expr(sbuf *b, rng *r, int depth)
{
    unsigned k = depth > 6 ? 0 : rnd(r, 6);
    switch (k) {
    case 0:
    case 1: gen_test(b, r); return;
    case 2:
        gen_kw(b, r, "not");
        gen_ws(b, r, 1);
        gen_expr(b, r, depth + 1);
        return;
    case 3:
        sb_putc(b, '(');
        gen_ws(b, r, 0);
        gen_expr(b, r, depth + 1);
        gen_ws(b, r, 0);
        sb_putc(b, ')');
        return;
    default:
        gen_expr(b, r, depth + 1);
        gen_ws(b, r, 1);
        gen_kw(b, r, k == 4 ? "and" : "or");
        gen_ws(b, r, 1);
        gen_expr(b, r, depth + 1);
        return;
    }
}

static void check_round_trip(const char *text)
{
    char *p1 = parse_print(text);
    char *p2 = parse_print(p1);
    if (strcmp(p1, p2) != 0) fail_msg("'%s'\nprints '%s'\nthen '%s'", text, p1, p2);
    free(p1);
    free(p2);
}

static void test_print_parse_round_trip_corpus(void **state)
{
    static const char *const corpus[] = {
        "sum(order_total, 90d) > 500 and consent(email) and not seen(pos)",
        "has(a) or has(b) and has(c)",
        "not has(a) and has(b)",
        "trait(\"first name\") = \"J\\\"o\\\\e\" or trait(city) != \"\"",
        "((records >= 2)) and (days_since_last_seen < 30.5 or rfm_r = 5)",
        "avg(basket, 365D) >= -1.5e-3 or min(x) < 1E300 or max(y) = -0",
        "NOT NOT (has(email) OR has(phone)) AND count(orders) = 0",
    };
    (void)state;
    for (size_t i = 0; i < sizeof corpus / sizeof corpus[0]; i++) check_round_trip(corpus[i]);
}

static void test_print_parse_round_trip_random(void **state)
{
    rng r = {0x5eedu};
    (void)state;
    for (int i = 0; i < 3000; i++) {
        sbuf b = {0};
        gen_expr(&b, &r, 0);
        check_round_trip(b.p);
        free(b.p);
    }
}

/* Any bytes: a status, a reason and an offset inside the text, never a crash. Every prefix
 * of a valid query fails at its end or parses. */
static void test_arbitrary_bytes_get_a_status(void **state)
{
    static const char alphabet[] = "hasen()\"\\,.-+eEdD0123456789 <>=!andorNOT\t\n\x01\xc3";
    rng r = {42};
    scv__mem m = libc_mem();
    (void)state;
    for (int i = 0; i < 20000; i++) {
        char buf[64];
        size_t n = rnd(&r, sizeof buf + 1);
        scv__qast ast = {0};
        const char *reason = NULL;
        size_t off = 0;
        scv_status st;
        for (size_t k = 0; k < n; k++) buf[k] = alphabet[rnd(&r, sizeof alphabet - 1)];
        st = scv__query_parse(&m, buf, n, &ast, &reason, &off);
        if (st == SCV_OK) {
            assert_true(ast.root < ast.nodes.len);
        } else {
            assert_int_equal(st, SCV_ESYNTAX);
            assert_non_null(reason);
            assert_true(off <= n);
        }
        scv__qast_free(&m, &ast);
    }
    {
        static const char q[] = "not (sum(order_total, 90d) > 5.5e1 or trait(\"x\\\"y\") = \"z\")";
        for (size_t n = 0; n < sizeof q - 1; n++) {
            scv__qast ast = {0};
            const char *reason = NULL;
            size_t off = 0;
            scv_status st = scv__query_parse(&m, q, n, &ast, &reason, &off);
            assert_int_equal(st, SCV_ESYNTAX);
            assert_true(off <= n);
            scv__qast_free(&m, &ast);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_has_kind),
        cmocka_unit_test(test_seen_source),
        cmocka_unit_test(test_consent_channel),
        cmocka_unit_test(test_records_comparison),
        cmocka_unit_test(test_trait_comparison_with_string),
        cmocka_unit_test(test_trait_comparison_with_number),
        cmocka_unit_test(test_number_term_with_string_literal),
        cmocka_unit_test(test_every_aggregate),
        cmocka_unit_test(test_aggregate_with_duration),
        cmocka_unit_test(test_duration_bounds),
        cmocka_unit_test(test_days_since_terms),
        cmocka_unit_test(test_rfm_terms),
        cmocka_unit_test(test_every_operator),
        cmocka_unit_test(test_and_or_not_nodes),
        cmocka_unit_test(test_and_binds_tighter_than_or),
        cmocka_unit_test(test_not_binds_tighter_than_and),
        cmocka_unit_test(test_and_or_left_associative),
        cmocka_unit_test(test_parentheses_override_precedence),
        cmocka_unit_test(test_not_chain),
        cmocka_unit_test(test_node_offsets),
        cmocka_unit_test(test_keywords_case_insensitive),
        cmocka_unit_test(test_bare_names_kept_as_written),
        cmocka_unit_test(test_quoted_names),
        cmocka_unit_test(test_empty_names_still_have_a_pool),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_empty_string_literal),
        cmocka_unit_test(test_utf8_and_del_in_strings),
        cmocka_unit_test(test_integer_literals),
        cmocka_unit_test(test_decimal_literals),
        cmocka_unit_test(test_negative_literals),
        cmocka_unit_test(test_exponent_literals),
        cmocka_unit_test(test_long_number_literals_round_correctly),
        cmocka_unit_test(test_white_space),
        cmocka_unit_test(test_reads_only_len_bytes),
        cmocka_unit_test(test_reason_and_offset_pointers_optional),
        cmocka_unit_test(test_ast_reused_after_success_and_failure),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_error_unexpected_end),
        cmocka_unit_test(test_error_expected_operator),
        cmocka_unit_test(test_error_expected_literal),
        cmocka_unit_test(test_error_expected_lparen),
        cmocka_unit_test(test_error_expected_rparen),
        cmocka_unit_test(test_error_expected_name),
        cmocka_unit_test(test_error_unknown_keyword),
        cmocka_unit_test(test_error_expected_test),
        cmocka_unit_test(test_error_unterminated_string),
        cmocka_unit_test(test_error_invalid_escape),
        cmocka_unit_test(test_error_control_character_in_string),
        cmocka_unit_test(test_error_invalid_number),
        cmocka_unit_test(test_error_duration_outside_aggregate),
        cmocka_unit_test(test_error_expected_duration),
        cmocka_unit_test(test_error_duration_out_of_range),
        cmocka_unit_test(test_error_unexpected_character),
        cmocka_unit_test(test_error_trailing_tokens),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_depth_limit_parentheses),
        cmocka_unit_test(test_depth_limit_not_chain),
        cmocka_unit_test(test_depth_limit_mixed),
        cmocka_unit_test(test_allocation_failure_at_every_call),
        cmocka_unit_test(test_print_parse_round_trip_corpus),
        cmocka_unit_test(test_print_parse_round_trip_random),
        cmocka_unit_test(test_arbitrary_bytes_get_a_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
