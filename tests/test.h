/* test.h — what every cmocka suite includes. */
#ifndef SCV_TEST_H
#define SCV_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scv.h"

/* A C string as (pointer, length). */
#define S(str) (str), strlen(str)

/* Assert a call returned `expected`, naming both statuses when it did not. */
#define assert_status(call, expected)                                                         \
    do {                                                                                      \
        scv_status got_ = (call);                                                             \
        if (got_ != (expected)) {                                                             \
            fail_msg("%s returned %s, expected %s", #call, scv_status_str(got_),              \
                     scv_status_str(expected));                                               \
        }                                                                                     \
    } while (0)

#define assert_ok(call) assert_status((call), SCV_OK)

#endif

#include <stdio.h>
#include <stdlib.h>

/* An engine with region DE and normalized values retained. */
static inline scv_engine *test_engine(void)
{
    scv_options *o = NULL;
    scv_engine *e = NULL;
    assert_ok(scv_options_new(NULL, &o));
    assert_ok(scv_options_set_region(o, S("DE")));
    assert_ok(scv_options_set_retain(o, SCV_RETAIN_NORMALIZED));
    assert_ok(scv_options_set_hash_key(o, S("test key")));
    assert_ok(scv_engine_new(o, &e));
    scv_options_free(o);
    return e;
}

/*
 * Upsert one record: source and record id, then NULL-terminated fields written as
 * "kind=value" (identifier), "trait:name=value", "measure:name=number" or "ts=unix".
 * Returns the record's profile.
 */
static inline scv_profile_id test_upsert(scv_engine *e, const char *source, const char *id, ...)
{
    scv_record *r = NULL;
    scv_source src;
    scv_profile_id p = 0;
    va_list ap;
    assert_ok(scv_record_new(e, &r));
    if (scv_engine_source(e, S(source), &src) != SCV_OK) {
        assert_ok(scv_engine_register_source(e, S(source), &src));
    }
    assert_ok(scv_record_reset(r, src, S(id)));
    va_start(ap, id);
    for (const char *f = va_arg(ap, const char *); f != NULL; f = va_arg(ap, const char *)) {
        const char *eq = strchr(f, '=');
        assert_non_null(eq);
        if (strncmp(f, "trait:", 6) == 0) {
            assert_ok(scv_record_add_trait(r, f + 6, (size_t)(eq - f - 6), S(eq + 1)));
        } else if (strncmp(f, "measure:", 8) == 0) {
            assert_ok(scv_record_add_measure(r, f + 8, (size_t)(eq - f - 8), atof(eq + 1)));
        } else if (strncmp(f, "ts=", 3) == 0) {
            assert_ok(scv_record_set_timestamp(r, atoll(eq + 1)));
        } else {
            scv_kind k;
            assert_ok(scv_engine_kind(e, f, (size_t)(eq - f), &k));
            assert_ok(scv_record_add_identifier(r, k, S(eq + 1)));
        }
    }
    va_end(ap);
    assert_ok(scv_engine_upsert(e, r, &p));
    scv_record_free(r);
    return p;
}

/* Profile of a stored record given by source name and id; fails the test if absent. */
static inline scv_profile_id test_profile_of(const scv_engine *e, const char *source, const char *id)
{
    scv_source src;
    scv_record_ref ref;
    scv_profile_id p;
    assert_ok(scv_engine_source(e, S(source), &src));
    assert_ok(scv_engine_record_find(e, src, S(id), &ref));
    assert_ok(scv_engine_record_profile(e, ref, &p));
    return p;
}
