/* test_profile_json.c — scv_profile_json(): the exact object, the size query and buffers that
 * are too small, string escaping, numbers, identifier values or hashes and link states,
 * measures and consent, output that parses as JSON, and allocation failures. */
#include "test.h"

/* ---- a small JSON validator (RFC 8259) ----------------------------------------------------- */

typedef struct {
    const char *s;
    size_t len;
    size_t pos;
    int depth;
} jp;

static int jp_value(jp *p);

static void jp_ws(jp *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) != NULL) p->pos++;
}

static int jp_lit(jp *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) return 0;
    p->pos += n;
    return 1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int jp_digits(jp *p)
{
    size_t start = p->pos;
    while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
    return p->pos > start;
}

static int jp_number(jp *p)
{
    if (p->pos < p->len && p->s[p->pos] == '-') p->pos++;
    if (p->pos < p->len && p->s[p->pos] == '0') {
        p->pos++;
    } else if (!jp_digits(p)) {
        return 0;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        p->pos++;
        if (!jp_digits(p)) return 0;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        if (!jp_digits(p)) return 0;
    }
    return 1;
}

static int jp_string(jp *p)
{
    if (p->pos >= p->len || p->s[p->pos] != '"') return 0;
    p->pos++;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c == '"') return 1;
        if (c < 0x20) return 0;
        if (c != '\\') continue;
        if (p->pos >= p->len) return 0;
        c = (unsigned char)p->s[p->pos++];
        if (c == 'u') {
            for (int i = 0; i < 4; i++, p->pos++) {
                if (p->pos >= p->len || strchr("0123456789abcdefABCDEF", p->s[p->pos]) == NULL ||
                    p->s[p->pos] == '\0')
                    return 0;
            }
        } else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0') {
            return 0;
        }
    }
    return 0;
}

/* '[' or '{' already consumed; items until `close`. */
static int jp_items(jp *p, char close, int object)
{
    jp_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return 1;
    }
    for (;;) {
        jp_ws(p);
        if (object) {
            if (!jp_string(p)) return 0;
            jp_ws(p);
            if (!jp_lit(p, ":")) return 0;
        }
        if (!jp_value(p)) return 0;
        jp_ws(p);
        if (jp_lit(p, ",")) continue;
        return jp_lit(p, close == ']' ? "]" : "}");
    }
}

static int jp_value(jp *p)
{
    int ok;
    jp_ws(p);
    if (p->pos >= p->len) return 0;
    switch (p->s[p->pos]) {
    case '{':
    case '[':
        if (++p->depth > 64) return 0;
        p->pos++;
        ok = jp_items(p, p->s[p->pos - 1] == '{' ? '}' : ']', p->s[p->pos - 1] == '{');
        p->depth--;
        return ok;
    case '"':
        return jp_string(p);
    case 't':
        return jp_lit(p, "true");
    case 'f':
        return jp_lit(p, "false");
    case 'n':
        return jp_lit(p, "null");
    default:
        return jp_number(p);
    }
}

/* Does s[0..len) hold exactly one JSON object and nothing else? */
static int is_json_object(const char *s, size_t len)
{
    jp p = {s, len, 0, 0};
    if (len == 0 || s[0] != '{' || !jp_value(&p)) return 0;
    jp_ws(&p);
    return p.pos == len;
}

static void validator_rejects_broken_json(void **state)
{
    (void)state;
    assert_true(is_json_object(S("{\"a\":[1,-2.5e+3,true,null,\"x\\u00e9\"],\"b\":{}}")));
    assert_false(is_json_object(S("{\"a\":1,}")));
    assert_false(is_json_object(S("{\"a\":01}")));
    assert_false(is_json_object(S("{\"a\":\"tab\there\"}")));
    assert_false(is_json_object(S("{\"a\":nan}")));
    assert_false(is_json_object(S("{\"a\":1}x")));
    assert_false(is_json_object(S("{\"a\":\"\\x\"}")));
}

/* ---- helpers ------------------------------------------------------------------------------- */

/* The profile's JSON as a NUL-terminated string the caller frees; checks the size query, that
 * the exact size fits and that the result parses. */
static char *json_of(scv_engine *e, scv_profile_id p)
{
    size_t need = 0;
    size_t got = 0;
    char *buf;
    assert_status(scv_profile_json(e, p, NULL, 0, &need), SCV_EBUFFER);
    assert_true(need > 0);
    buf = malloc(need + 1);
    assert_non_null(buf);
    assert_ok(scv_profile_json(e, p, buf, need, &got));
    assert_int_equal(got, need);
    buf[need] = '\0';
    if (!is_json_object(buf, need)) fail_msg("not a JSON object:\n%s", buf);
    return buf;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected to find\n  %s\nin\n  %s", needle, haystack);
}

static void assert_lacks(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) != NULL)
        fail_msg("expected not to find\n  %s\nin\n  %s", needle, haystack);
}

/* Upsert a record carrying consent decisions "channel=1|0@ts" (ts may be "none"). */
static scv_profile_id upsert_consent(scv_engine *e, scv_source src, const char *id, int64_t ts,
                                     const char *email, const char *const *decisions, size_t n)
{
    scv_record *r;
    scv_profile_id p = 0;
    assert_ok(scv_record_new(e, &r));
    assert_ok(scv_record_reset(r, src, S(id)));
    assert_ok(scv_record_set_timestamp(r, ts));
    assert_ok(scv_record_add_identifier(r, SCV_KIND_EMAIL, S(email)));
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(decisions[i], '=');
        const char *at = strchr(decisions[i], '@');
        int64_t when = strcmp(at + 1, "none") == 0 ? SCV_NO_TIMESTAMP : atoll(at + 1);
        assert_ok(scv_record_add_consent(r, decisions[i], (size_t)(eq - decisions[i]),
                                         eq[1] == '1', when));
    }
    assert_ok(scv_engine_upsert(e, r, &p));
    scv_record_free(r);
    return p;
}

/* Jane: a CRM record and a till receipt sharing her e-mail. */
static scv_profile_id make_jane(scv_engine *e)
{
    test_upsert(e, "crm", "C-1", "email=Jane@Web.de", "trait:city=Berlin", "measure:order_total=10",
                "ts=1712000000", NULL);
    return test_upsert(e, "pos", "P-1", "email=jane@web.de", "measure:order_total=30.5",
                       "ts=1740000000", NULL);
}

static const char jane_json[] =
    "{\"profile_id\":1,\"first_seen\":1712000000,\"last_seen\":1740000000,"
    "\"sources\":[\"crm\",\"pos\"],"
    "\"records\":[{\"source\":\"crm\",\"record_id\":\"C-1\",\"timestamp\":1712000000},"
    "{\"source\":\"pos\",\"record_id\":\"P-1\",\"timestamp\":1740000000}],"
    "\"identifiers\":[{\"kind\":\"email\",\"value\":\"jane@web.de\",\"state\":\"linked\"}],"
    "\"traits\":{\"city\":{\"value\":\"Berlin\",\"source\":\"crm\",\"record_id\":\"C-1\"}},"
    "\"measures\":{\"order_total\":{\"count\":2,\"sum\":40.5,\"avg\":20.25,\"min\":10,"
    "\"max\":30.5,\"first\":1712000000,\"last\":1740000000}},"
    "\"consent\":{}}";

/* ---- the object ---------------------------------------------------------------------------- */

static void profile_json_is_the_documented_object(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p = make_jane(e);
    char *json = json_of(e, p);
    assert_string_equal(json, jane_json);
    free(json);
    scv_engine_free(e);
}

static void size_query_reports_the_exact_length(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p = make_jane(e);
    size_t len = 12345;
    char buf[sizeof jane_json + 8];
    assert_status(scv_profile_json(e, p, NULL, 0, &len), SCV_EBUFFER);
    assert_int_equal(len, strlen(jane_json));
    /* cap 0 with a buffer: nothing written */
    memset(buf, '#', sizeof buf);
    assert_status(scv_profile_json(e, p, buf, 0, &len), SCV_EBUFFER);
    assert_int_equal(len, strlen(jane_json));
    assert_int_equal(buf[0], '#');
    /* a larger buffer: OK, the bytes after the JSON untouched, no NUL added */
    assert_ok(scv_profile_json(e, p, buf, sizeof buf, &len));
    assert_int_equal(len, strlen(jane_json));
    assert_memory_equal(buf, jane_json, len);
    assert_int_equal(buf[len], '#');
    scv_engine_free(e);
}

static void exact_buffer_fits_and_one_byte_short_does_not(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p = make_jane(e);
    size_t n = strlen(jane_json);
    char *buf = malloc(n + 16);
    size_t len = 0;
    assert_non_null(buf);
    memset(buf, '#', n + 16);
    assert_ok(scv_profile_json(e, p, buf, n, &len));
    assert_int_equal(len, n);
    assert_memory_equal(buf, jane_json, n);
    assert_int_equal(buf[n], '#');
    /* Every shorter capacity: SCV_EBUFFER with the full length, a prefix, and the canary after
     * cap untouched. */
    for (size_t cap = 0; cap < n; cap++) {
        memset(buf, '#', n + 16);
        len = 0;
        assert_status(scv_profile_json(e, p, buf, cap, &len), SCV_EBUFFER);
        assert_int_equal(len, n);
        assert_memory_equal(buf, jane_json, cap);
        for (size_t k = cap; k < n + 16; k++) {
            if (buf[k] != '#') fail_msg("cap %zu: byte %zu was written", cap, k);
        }
    }
    free(buf);
    scv_engine_free(e);
}

static void bad_arguments_and_dead_profiles(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p = make_jane(e);
    size_t len;
    char buf[8];
    assert_status(scv_profile_json(NULL, p, buf, sizeof buf, &len), SCV_EINVAL);
    assert_status(scv_profile_json(e, p, buf, sizeof buf, NULL), SCV_EINVAL);
    assert_status(scv_profile_json(e, p, NULL, 5, &len), SCV_EINVAL);
    assert_status(scv_profile_json(e, 0, buf, sizeof buf, &len), SCV_ENOTFOUND);
    assert_status(scv_profile_json(e, 99, buf, sizeof buf, &len), SCV_ENOTFOUND);
    /* A merged-away id is not live. */
    scv_profile_id q = test_upsert(e, "web", "W-1", "email=x@web.de", NULL);
    test_upsert(e, "web", "W-2", "email=x@web.de", "customer_id=7", NULL);
    test_upsert(e, "web", "W-3", "email=jane@web.de", "customer_id=7", NULL);
    assert_int_equal(test_profile_of(e, "web", "W-1"), p);
    assert_status(scv_profile_json(e, q, buf, sizeof buf, &len), SCV_ENOTFOUND);
    scv_engine_free(e);
}

/* ---- strings and numbers ------------------------------------------------------------------- */

static void strings_are_escaped(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_source crm = SCV_SOURCE_CRM;
    scv_record *r;
    scv_profile_id p;
    static const char value[] = "a\"b\\c\td\ne\x01\x1f/\xC3\xBC\xF0\x9F\x98\x80\x7F";
    assert_ok(scv_record_new(e, &r));
    assert_ok(scv_record_reset(r, crm, S("id \"1\" \\ x")));
    assert_ok(scv_record_add_identifier(r, SCV_KIND_CUSTOMER_ID, S("K\"1")));
    assert_ok(scv_record_add_trait(r, S("note \"x\""), S(value)));
    assert_ok(scv_engine_upsert(e, r, &p));
    scv_record_free(r);
    char *json = json_of(e, p);
    assert_contains(json, "\"record_id\":\"id \\\"1\\\" \\\\ x\"");
    assert_contains(json, "\"value\":\"K\\\"1\"");
    assert_contains(json, "\"note \\\"x\\\"\":{\"value\":\"a\\\"b\\\\c\\u0009d\\u000ae\\u0001"
                          "\\u001f/\xC3\xBC\xF0\x9F\x98\x80\x7F\",");
    /* no timestamp anywhere: nulls */
    assert_contains(json, "\"first_seen\":null,\"last_seen\":null");
    assert_contains(json, "\"timestamp\":null}");
    free(json);
    scv_engine_free(e);
}

static void numbers_print_as_integers_or_with_the_shortest_exact_digits(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p = test_upsert(e, "pos", "1", "email=n@web.de", "measure:a=0.1",
                                   "measure:b=-3", "measure:c=1e20", "measure:d=-2.5",
                                   "measure:e=9007199254740993", "measure:f=0.3333333333333333",
                                   "measure:g=208.9", "measure:h=1e-300", NULL);
    char *json = json_of(e, p);
    assert_contains(json, "\"a\":{\"count\":1,\"sum\":0.1,");
    assert_contains(json, "\"f\":{\"count\":1,\"sum\":0.3333333333333333,");
    assert_contains(json, "\"g\":{\"count\":1,\"sum\":208.9,");
    assert_contains(json, "\"h\":{\"count\":1,\"sum\":1e-300,");
    assert_contains(json, "\"b\":{\"count\":1,\"sum\":-3,\"avg\":-3,\"min\":-3,\"max\":-3,"
                          "\"first\":null,\"last\":null}");
    assert_contains(json, "\"c\":{\"count\":1,\"sum\":1e+20,");
    assert_contains(json, "\"d\":{\"count\":1,\"sum\":-2.5,");
    /* 2^53 + 1 is not a double: it reads as 2^53, at the limit, so written as a real */
    assert_contains(json, "\"e\":{\"count\":1,\"sum\":9007199254740992,");
    free(json);
    scv_engine_free(e);
}

/* ---- identifiers --------------------------------------------------------------------------- */

static void hashes_stand_in_for_values_that_are_not_retained(void **state)
{
    (void)state;
    scv_engine *e = NULL;
    uint8_t hash[SCV_HASH_SIZE];
    char hex[2 * SCV_HASH_SIZE + 1];
    char expect[128];
    assert_ok(scv_engine_new(NULL, &e));
    scv_profile_id p = test_upsert(e, "crm", "C-1", "email=Jane@Web.de", NULL);
    assert_ok(scv_engine_hash(e, SCV_KIND_EMAIL, S("jane@web.de"), hash));
    for (int i = 0; i < SCV_HASH_SIZE; i++) snprintf(hex + 2 * i, 3, "%02x", hash[i]);
    snprintf(expect, sizeof expect, "{\"kind\":\"email\",\"hash\":\"%s\",\"state\":\"linked\"}",
             hex);
    char *json = json_of(e, p);
    assert_contains(json, expect);
    assert_lacks(json, "jane@web.de");
    assert_lacks(json, "\"value\":\"jane");
    free(json);
    scv_engine_free(e);
}

static void blocked_identifiers_are_listed_with_their_state(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    scv_profile_id p = test_upsert(e, "crm", "C-1", "email=test@test.com", "customer_id=42",
                                   "loyalty_id=L77", NULL);
    assert_ok(scv_engine_block(e, SCV_KIND_LOYALTY_ID, S("l77")));
    char *json = json_of(e, p);
    assert_contains(json, "{\"kind\":\"email\",\"value\":\"test@test.com\",\"state\":\"blocked\"}");
    assert_contains(json, "{\"kind\":\"customer_id\",\"value\":\"42\",\"state\":\"linked\"}");
    assert_contains(json, "{\"kind\":\"loyalty_id\",\"value\":\"l77\",\"state\":\"blocked\"}");
    free(json);
    scv_engine_free(e);
}

static void set_aside_identifiers_are_listed_with_their_state(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_limit(e, SCV_KIND_CUSTOMER_ID, 1));
    scv_profile_id p1 = test_upsert(e, "crm", "C-1", "customer_id=1", "email=a@web.de", NULL);
    scv_profile_id p2 = test_upsert(e, "crm", "C-2", "customer_id=2", "email=a@web.de", NULL);
    assert_int_not_equal(p1, p2);
    char *json = json_of(e, p2);
    assert_contains(json, "{\"kind\":\"customer_id\",\"value\":\"2\",\"state\":\"linked\"}");
    assert_contains(json, "{\"kind\":\"email\",\"value\":\"a@web.de\","
                          "\"state\":\"set_aside_limit\"}");
    assert_lacks(json, "\"value\":\"1\"");
    free(json);
    json = json_of(e, p1);
    assert_contains(json, "{\"kind\":\"email\",\"value\":\"a@web.de\",\"state\":\"linked\"}");
    assert_lacks(json, "set_aside");
    free(json);
    scv_engine_free(e);
}

static void size_guard_and_generic_states(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    assert_ok(scv_engine_set_profile_limits(e, 1, 0));
    test_upsert(e, "web", "r0", "email=big@feed.de", NULL);
    scv_profile_id p = test_upsert(e, "web", "r1", "email=big@feed.de", NULL);
    char *json = json_of(e, p);
    assert_contains(json, "{\"kind\":\"email\",\"value\":\"big@feed.de\","
                          "\"state\":\"set_aside_size\"}");
    free(json);
    scv_engine_free(e);

    e = test_engine();
    assert_ok(scv_engine_set_generic_threshold(e, SCV_KIND_PHONE, 1));
    test_upsert(e, "pos", "a", "customer_id=1", "phone=030 1234567", NULL);
    p = test_upsert(e, "pos", "b", "customer_id=2", "phone=030 1234567", NULL);
    json = json_of(e, p);
    assert_contains(json, "{\"kind\":\"phone\",\"value\":\"+49301234567\",\"state\":\"generic\"}");
    free(json);
    scv_engine_free(e);
}

/* ---- traits, measures, consent ------------------------------------------------------------- */

static void traits_carry_their_provenance_and_missing_ones_are_left_out(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "crm", "C-1", "email=a@web.de", "trait:city=Köln", "trait:name=Ann", "ts=100",
                NULL);
    scv_profile_id p = test_upsert(e, "web", "W-1", "email=a@web.de", "trait:city=Berlin",
                                   "trait:name=", "ts=200", NULL);
    scv_profile_id q = test_upsert(e, "pos", "P-9", "email=other@web.de", "trait:store=Mitte",
                                   "measure:order_total=5", NULL);
    char *json = json_of(e, p);
    assert_contains(json, "\"traits\":{\"city\":{\"value\":\"Berlin\",\"source\":\"web\","
                          "\"record_id\":\"W-1\"},\"name\":{\"value\":\"Ann\",\"source\":\"crm\","
                          "\"record_id\":\"C-1\"}}");
    assert_lacks(json, "store");
    assert_contains(json, "\"measures\":{}");
    free(json);
    json = json_of(e, q);
    assert_contains(json, "\"traits\":{\"store\":{\"value\":\"Mitte\",\"source\":\"pos\","
                          "\"record_id\":\"P-9\"}}");
    assert_contains(json, "\"order_total\":{\"count\":1,\"sum\":5,\"avg\":5,\"min\":5,\"max\":5,"
                          "\"first\":null,\"last\":null}");
    free(json);
    scv_engine_free(e);
}

static void measures_aggregate_over_the_profile(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    test_upsert(e, "pos", "1", "email=m@web.de", "measure:order_total=80", "ts=300", NULL);
    test_upsert(e, "pos", "2", "email=m@web.de", "measure:order_total=10", "measure:items=2",
                "ts=100", NULL);
    test_upsert(e, "pos", "3", "email=m@web.de", "measure:order_total=30.5", NULL);
    scv_profile_id p = test_profile_of(e, "pos", "1");
    char *json = json_of(e, p);
    assert_contains(json, "\"measures\":{\"order_total\":{\"count\":3,\"sum\":120.5,"
                          "\"avg\":40.166666666666664,\"min\":10,\"max\":80,\"first\":100,"
                          "\"last\":300},\"items\":{\"count\":1,\"sum\":2,\"avg\":2,\"min\":2,"
                          "\"max\":2,\"first\":100,\"last\":100}}");
    assert_contains(json, "\"first_seen\":100,\"last_seen\":300");
    free(json);
    scv_engine_free(e);
}

static void consent_shows_the_latest_decision_per_channel(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    const char *first[] = {"email=1@none", "sms=0@50"};
    const char *second[] = {"email=0@150", "ads=1@none"};
    const char *third[] = {"email=1@120"}; /* older than the denial at 150 */
    upsert_consent(e, SCV_SOURCE_CRM, "C-1", 100, "c@web.de", first, 2);
    upsert_consent(e, SCV_SOURCE_EMAIL, "E-1", 200, "c@web.de", second, 2);
    scv_profile_id p = upsert_consent(e, SCV_SOURCE_WEB, "W-1", 300, "c@web.de", third, 1);
    scv_profile_id q = upsert_consent(e, SCV_SOURCE_WEB, "W-2", SCV_NO_TIMESTAMP, "d@web.de",
                                      third, 0);
    char *json = json_of(e, p);
    assert_contains(json, "\"consent\":{\"email\":{\"granted\":false,\"timestamp\":150},"
                          "\"sms\":{\"granted\":false,\"timestamp\":50},"
                          "\"ads\":{\"granted\":true,\"timestamp\":200}}}");
    free(json);
    json = json_of(e, q);
    assert_contains(json, "\"consent\":{}}");
    free(json);
    scv_engine_free(e);
}

static void undated_consent_prints_a_null_timestamp(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    const char *grant[] = {"email=1@none"};
    scv_profile_id p = upsert_consent(e, SCV_SOURCE_CRM, "C-1", SCV_NO_TIMESTAMP, "u@web.de",
                                      grant, 1);
    char *json = json_of(e, p);
    assert_contains(json, "\"consent\":{\"email\":{\"granted\":true,\"timestamp\":null}}}");
    free(json);
    scv_engine_free(e);
}

/* ---- large profiles and allocation failure ------------------------------------------------- */

typedef struct {
    long calls;
    long fail_at; /* 1-based; 0 = never */
    long live;
} fail_ctx;

static void *f_alloc(void *ctx, size_t size)
{
    fail_ctx *c = ctx;
    if (++c->calls == c->fail_at) return NULL;
    void *p = malloc(size);
    if (p != NULL) c->live++;
    return p;
}

static void *f_realloc(void *ctx, void *p, size_t old_size, size_t new_size)
{
    fail_ctx *c = ctx;
    (void)old_size;
    if (++c->calls == c->fail_at) return NULL;
    return realloc(p, new_size);
}

static void f_free(void *ctx, void *p, size_t size)
{
    fail_ctx *c = ctx;
    (void)size;
    if (p != NULL) c->live--;
    free(p);
}

/* One profile of 400 records (more than the stack buffer holds), with traits and measures. */
static scv_profile_id make_big(scv_engine *e)
{
    char id[16];
    char ts[32];
    scv_profile_id p = 0;
    for (int i = 0; i < 400; i++) {
        snprintf(id, sizeof id, "R-%03d", i);
        snprintf(ts, sizeof ts, "ts=%d", 1000 + i);
        p = test_upsert(e, i % 2 ? "pos" : "web", id, "email=big@web.de", "trait:tier=gold",
                        "measure:order_total=2.5", ts, NULL);
    }
    return p;
}

static void large_profiles_use_the_engine_allocator(void **state)
{
    (void)state;
    fail_ctx c = {0, 0, 0};
    scv_allocator a = {f_alloc, f_realloc, f_free, &c};
    scv_options *o;
    scv_engine *e;
    assert_ok(scv_options_new(&a, &o));
    assert_ok(scv_options_set_retain(o, SCV_RETAIN_NORMALIZED));
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    scv_profile_id p = make_big(e);
    char *ref = json_of(e, p);
    assert_contains(ref, "\"sources\":[\"web\",\"pos\"]");
    assert_contains(ref, "{\"source\":\"pos\",\"record_id\":\"R-399\",\"timestamp\":1399}]");
    assert_contains(ref, "\"order_total\":{\"count\":400,\"sum\":1000,\"avg\":2.5,");
    size_t n = strlen(ref);
    char *buf = malloc(n);
    assert_non_null(buf);
    /* Views are up to date now: the only allocation is the list block. */
    long live = c.live;
    long before = c.calls;
    size_t len = 0;
    c.fail_at = c.calls + 1;
    assert_status(scv_profile_json(e, p, buf, n, &len), SCV_ENOMEM);
    assert_int_equal(c.live, live);
    c.fail_at = 0;
    assert_ok(scv_profile_json(e, p, buf, n, &len));
    assert_true(c.calls > before + 1);
    assert_int_equal(c.live, live); /* the block was given back */
    assert_memory_equal(buf, ref, n);
    /* After a change (views stale), fail every allocation in turn: SCV_ENOMEM each time,
     * then the same output as without failures. */
    test_upsert(e, "crm", "C-1", "email=big@web.de", "trait:tier=platinum", "ts=5000", NULL);
    free(ref);
    c.fail_at = 0;
    ref = json_of(e, p);
    n = strlen(ref);
    free(buf);
    buf = malloc(n);
    assert_non_null(buf);
    test_upsert(e, "crm", "C-1", "email=big@web.de", "trait:tier=platinum", "ts=5001", NULL);
    test_upsert(e, "crm", "C-1", "email=big@web.de", "trait:tier=platinum", "ts=5000", NULL);
    for (long k = 1;; k++) {
        c.calls = 0;
        c.fail_at = k;
        scv_status st = scv_profile_json(e, p, buf, n, &len);
        if (st == SCV_OK) break;
        assert_status(st, SCV_ENOMEM);
        assert_true(k < 10000);
    }
    c.fail_at = 0;
    assert_int_equal(len, n);
    assert_memory_equal(buf, ref, n);
    assert_contains(ref, "\"tier\":{\"value\":\"platinum\",\"source\":\"crm\","
                         "\"record_id\":\"C-1\"}");
    free(buf);
    free(ref);
    scv_engine_free(e);
    assert_int_equal(c.live, 0);
}

static void every_profile_of_a_mixed_engine_parses(void **state)
{
    (void)state;
    scv_engine *e = test_engine();
    const char *grant[] = {"email=1@none"};
    make_jane(e);
    test_upsert(e, "crm", "C-2", "email=test@test.com", "customer_id=5", "trait:q=\"\\", NULL);
    test_upsert(e, "web", "W-9", "anonymous_id=abc", "measure:page_views=3", "ts=-86400", NULL);
    upsert_consent(e, SCV_SOURCE_EMAIL, "E-1", 77, "jane@web.de", grant, 1);
    scv_profile_id p = 0;
    size_t n = 0;
    while (scv_engine_profile_next(e, p, &p) == SCV_OK) {
        char *json = json_of(e, p); /* checks that it parses */
        char head[32];
        snprintf(head, sizeof head, "{\"profile_id\":%u,", p);
        assert_true(strncmp(json, head, strlen(head)) == 0);
        free(json);
        n++;
    }
    assert_int_equal(n, scv_engine_profile_count(e));
    assert_int_equal(n, 3);
    scv_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validator_rejects_broken_json),
        cmocka_unit_test(profile_json_is_the_documented_object),
        cmocka_unit_test(size_query_reports_the_exact_length),
        cmocka_unit_test(exact_buffer_fits_and_one_byte_short_does_not),
        cmocka_unit_test(bad_arguments_and_dead_profiles),
        cmocka_unit_test(strings_are_escaped),
        cmocka_unit_test(numbers_print_as_integers_or_with_the_shortest_exact_digits),
        cmocka_unit_test(hashes_stand_in_for_values_that_are_not_retained),
        cmocka_unit_test(blocked_identifiers_are_listed_with_their_state),
        cmocka_unit_test(set_aside_identifiers_are_listed_with_their_state),
        cmocka_unit_test(size_guard_and_generic_states),
        cmocka_unit_test(traits_carry_their_provenance_and_missing_ones_are_left_out),
        cmocka_unit_test(measures_aggregate_over_the_profile),
        cmocka_unit_test(consent_shows_the_latest_decision_per_channel),
        cmocka_unit_test(undated_consent_prints_a_null_timestamp),
        cmocka_unit_test(large_profiles_use_the_engine_allocator),
        cmocka_unit_test(every_profile_of_a_mixed_engine_parses),
    };
    return cmocka_run_group_tests_name("profile_json", tests, NULL, NULL);
}
