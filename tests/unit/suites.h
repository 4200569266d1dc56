/*
 * suites.h: every unit suite the runner collects, one per module.
 */
#ifndef MIGRATE_SUITES_H
#define MIGRATE_SUITES_H

#include <check.h>

Suite	*suite_frame(void);
Suite	*suite_crypto(void);
Suite	*suite_ring(void);
Suite	*suite_session(void);
Suite	*suite_random(void);
Suite	*suite_conf(void);
Suite	*suite_relayd_conf(void);
Suite	*suite_migrate_conf(void);

#endif
