/*
 * LD_PRELOAD shim: the wall clock of one process, moved by REHEARSAL_CLOCK_SHIFT_MS.
 *
 * The deploy rehearsal runs the real scheduler binary "days later" to see an SLA reminder,
 * without a clock override in the production code. Only CLOCK_REALTIME (and its coarse
 * variant) moves; monotonic clocks, which timers and timeouts use, stay as they are. Rust's
 * SystemTime::now (and so chrono::Utc::now) reads clock_gettime(CLOCK_REALTIME) through libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

int clock_gettime(clockid_t clock, struct timespec *ts) {
    static clock_gettime_fn real = NULL;
    static long long shift_ms = 0;
    static int ready = 0;
    if (!ready) {
        real = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
        const char *text = getenv("REHEARSAL_CLOCK_SHIFT_MS");
        shift_ms = text ? atoll(text) : 0;
        ready = 1;
    }
    int result = real(clock, ts);
    if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) {
        long long ns = (long long)ts->tv_nsec + (shift_ms % 1000) * 1000000LL;
        ts->tv_sec += (time_t)(shift_ms / 1000);
        while (ns < 0) {
            ns += 1000000000LL;
            ts->tv_sec -= 1;
        }
        while (ns >= 1000000000LL) {
            ns -= 1000000000LL;
            ts->tv_sec += 1;
        }
        ts->tv_nsec = (long)ns;
    }
    return result;
}
