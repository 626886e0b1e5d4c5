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
