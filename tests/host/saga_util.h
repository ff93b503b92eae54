/*
 * saga_util.h - what the durable host's reliability tests share: worker
 * processes (tests/host/saga_worker.c), the effects file they write, and
 * reading instances and their history back from a store.
 */
#ifndef BATON_TEST_SAGA_UTIL_H
#define BATON_TEST_SAGA_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "baton_host.h"

/* Failures are counted and reported, the test goes on to show them all. */
extern int su_failures;
#define EXPECT(cond, ...)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            su_failures++;                                                  \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);            \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

int64_t su_now_ms(void);
void su_sleep_ms(int64_t ms);

/* Starts `saga_worker` with the arguments (NULL-terminated). */
pid_t su_spawn(const char *const *argv);
/* Waits for `pid` until `deadline_ms` (su_now_ms() time; 0: no
 * deadline); returns its wait status, or -1 when the deadline passed. */
int su_wait(pid_t pid, int64_t deadline_ms);
/* su_wait(), and when the deadline passed, kills `pid` (SIGKILL) and
 * reaps it; returns its wait status, or -1 when it had to be killed. */
int su_wait_or_kill(pid_t pid, int64_t deadline_ms);
/* Removes the files of an SQLite store (the database, -wal and -shm);
 * nothing for another kind of `uri`. */
void su_remove_sqlite(const char *uri);
/* The path of saga_worker, the test program's one argument; without it,
 * prints the usage and exits with 2. */
const char *su_worker_arg(int argc, char **argv);

/* A model of tests/models (BATON_MODELS) deployed to `h`; exits on
 * failure. */
void su_deploy(baton_host *h, const char *file);
/* Opens `uri`; exits on failure. */
baton_host *su_open(const char *uri);

/* One call of a handler, from the effects file. */
typedef struct su_call {
    uint64_t job;
    char type[32];
    long pid;
    int64_t start_us, end_us;
} su_call;

/* Reads the effects file, sorted by job key then start. */
su_call *su_read_calls(const char *path, size_t *n);
/* The calls of `job` in the sorted list: index of the first, and count. */
size_t su_find_calls(const su_call *calls, size_t n, uint64_t job,
                     size_t *count);

/* One instance read back, with what its history says. */
typedef struct su_inst {
    uint64_t key;
    char state[16];
    char business_key[64];
    char process_id[64];
    char tasks[256];     /* completed service tasks, in order */
    char *variables;     /* canonical JSON text (sorted keys), malloc'd */
    char *error;         /* the "error" field, or NULL */
    uint64_t *jobs;      /* keys of JOB COMPLETED / ERROR_THROWN records */
    size_t n_jobs;
    size_t dup_elements; /* element instances completed more than once */
    size_t dup_jobs;     /* job results applied more than once */
} su_inst;

/* Every instance of the store (all pages), with history when `history`. */
su_inst *su_read_instances(baton_host *h, int history, size_t *n);
void su_free_instances(su_inst *v, size_t n);
const su_inst *su_by_business_key(const su_inst *v, size_t n,
                                  const char *bk);
/* Instances per state, summed over the deployments ("COMPLETED", ...). */
long su_count_state(baton_host *h, const char *state);
/* Instances in total. */
long su_count_all(baton_host *h);

#endif
