/*
 * jobs.h - jobs handed to workers, shared by jobs.c, query.c and
 * worker.c.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 */
#ifndef BATON_HOST_JOBS_H
#define BATON_HOST_JOBS_H

#include <jansson.h>

#include "host_int.h"

enum { BH_UNSETTLED = 0, BH_COMPLETE = 1, BH_FAIL = 2, BH_ERROR = 3 };

struct baton_host_job {
    uint64_t key, instance_key;
    char *type, *process_id, *element_id, *variables, *headers;
    int retries;
    int64_t deadline;
    /* The handler's result. */
    int settled;
    char *vars_out;
    size_t vars_len;
    int fail_retries;
    int64_t backoff;
    char *message, *code;
    baton_host_job *next;
};

void bh_job_free(baton_host_job *j);
/* Frees a list of jobs and sets *list to NULL. */
void bh_job_free_list(baton_host_job **list);
/* Locks up to `max` activatable jobs of `type` for `worker`; a list in
 * *out. Inside a transaction. */
int bh_activate(baton_host *h, const char *type, const char *worker,
                size_t max, int64_t lock_ms, baton_host_job **out);
/* Applies a settled job to its instance, inside a transaction. */
int bh_settle(baton_host *h, baton_host_job *j);
json_t *bh_job_json(const baton_host_job *j);

#endif
