#include "config.h"
#include <check.h>
#include "suites.h"
START_TEST(test_random_placeholder) { ck_assert_int_eq(1, 1); }
END_TEST
Suite *suite_random(void) { Suite *s = suite_create("random"); TCase *tc = tcase_create("core"); tcase_add_test(tc, test_random_placeholder); suite_add_tcase(s, tc); return s; }
