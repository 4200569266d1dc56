/*
 * clock.h: the monotonic clock relayd and the engine keep their timers on.
 */
#ifndef MIGRATE_CLOCK_H
#define MIGRATE_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds, and in microseconds. */
uint64_t	clock_mono_ms(void);
uint64_t	clock_mono_us(void);

#endif /* MIGRATE_CLOCK_H */
