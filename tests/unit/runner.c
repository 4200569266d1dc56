/*
 * runner.c: runs every unit suite.  CK_FORK=no runs in one process (gdb);
 * CK_RUN_SUITE=name runs one suite.  Exit status 0 only if all passed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "suites.h"

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	/* Keep the test output readable; MIGRATE_TEST_DEBUG=1 for more. */
	log_init("unit", LOG_SINK_STDERR, 2);
	log_set_level(getenv("MIGRATE_TEST_DEBUG") ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_WARN);

	sr = srunner_create(suite_frame());
	srunner_add_suite(sr, suite_crypto());
	srunner_add_suite(sr, suite_ring());
	srunner_add_suite(sr, suite_session());
	srunner_add_suite(sr, suite_random());
	srunner_add_suite(sr, suite_conf());
	srunner_add_suite(sr, suite_relayd_conf());
	srunner_add_suite(sr, suite_migrate_conf());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
