#include "config.h"
#include <check.h>
#include "suites.h"
START_TEST(test_session_placeholder) { ck_assert_int_eq(1, 1); }
END_TEST
Suite *suite_session(void) { Suite *s = suite_create("session"); TCase *tc = tcase_create("core"); tcase_add_test(tc, test_session_placeholder); suite_add_tcase(s, tc); return s; }
