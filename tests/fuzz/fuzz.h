/* What the fuzz targets share: the entry point each defines, a reader of
 * the bytes that choose outcomes, and the driving of an instance through
 * runs, host commands and snapshot round trips.
 *
 * A target defines `int fuzz_NAME_one(const uint8_t *data, size_t size)`
 * and FUZZ_ENTRY(fuzz_NAME_one): built for libFuzzer (BATON_LIBFUZZER)
 * that is LLVMFuzzerTestOneInput; built for the plain replay runner
 * (replay.c) it is nothing, and the runner calls fuzz_NAME_one itself.
 *
 * A target fails by calling fz_fail(), which prints why and aborts, so
 * that libFuzzer and the replay runner both report a crash. */
#ifndef BATON_FUZZ_H
#define BATON_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "baton.h"

#ifdef BATON_LIBFUZZER
#define FUZZ_ENTRY(fn)                                                        \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);            \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)             \
    {                                                                         \
        return fn(data, size);                                                \
    }
#else
#define FUZZ_ENTRY(fn)
#endif

int fuzz_model_one(const uint8_t *data, size_t size);
int fuzz_json_one(const uint8_t *data, size_t size);
int fuzz_feel_one(const uint8_t *data, size_t size);
int fuzz_snapshot_one(const uint8_t *data, size_t size);
int fuzz_timer_one(const uint8_t *data, size_t size);

/* The source folder tests/fuzz (for the models fuzz_snapshot deploys):
 * $BATON_FUZZ_SRCDIR, else the folder the build was configured from. */
const char *fz_srcdir(void);

#if defined(__GNUC__)
__attribute__((noreturn, format(printf, 1, 2)))
#endif
void fz_fail(const char *fmt, ...);

/* Bytes that choose outcomes, read one at a time; 0 once used up. */
typedef struct fz_bytes {
    const uint8_t *p;
    size_t n, off;
} fz_bytes;

unsigned fz_byte(fz_bytes *b);

/* Fails unless `rc` is one of the codes a call may return: a progress
 * code, 0, or one of the negative codes listed in `allowed` (ended by
 * 0). `what` names the call in the message. */
void fz_expect(baton_engine *e, const char *what, int rc,
               const int *allowed);

/* The outcome of a job, chosen by the next byte: 0 complete (with small
 * variables, chosen by more bits; a job with a "resultName" header gets
 * `{NAME: {"success": ...}}` as the saga models expect), 1 fail with a
 * few retries (now and then with a backoff), 2 throw a BPMN error (a
 * code of the test models or one made of input bytes), 3 leave it
 * waiting. In a handler (`in_handler`) the job is settled through
 * baton_job_*; else by key. Returns 1 when the job was left waiting. */
int fz_settle(baton_instance *in, baton_job *job, fz_bytes *b,
              int in_handler);

/* A job handler whose user data is an fz_bytes. */
int fz_handler(void *ud, baton_job *job);

/* Snapshots *in, restores the snapshot into a new instance, checks that
 * the new instance's snapshot is the same bytes, and replaces *in with it.
 * Any failure is a finding: an instance must always restore from its own
 * snapshot. */
void fz_round_trip(baton_engine *e, baton_instance **in);

/* Plays an instance as a host would: up to `rounds` times, run with
 * `budget` steps, round-trip through a snapshot, then settle every
 * waiting job by key and resolve every incident (the bytes choose how,
 * and may cancel the instance), then move the clock to the next due
 * time and correlate messages, deliver signals or set variables for the
 * instance's first subscriptions (the bytes choose). Stops when the
 * instance ends. It sets the engine's clock, which starts at
 * 2026-01-01T00:00:00Z at every call. */
void fz_drive(baton_engine *e, baton_instance **in, fz_bytes *b, int rounds,
              size_t budget);

/* Reads the instance's variables and each job's, as a host would, and
 * checks the texts go back in: the process variables must be accepted by
 * baton_instance_set_variables() (which changes nothing then). */
void fz_read_back(baton_engine *e, baton_instance *in);

#endif
