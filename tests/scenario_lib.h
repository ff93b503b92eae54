/* What the scenario driver (test_scenarios.c) and the allocation-failure
 * sweep (test_alloc_fail.c) share: finding case folders, reading
 * scenario.json, and playing a scenario through the public API.
 *
 * Every call of the script that can change the engine or the instance
 * goes through sc_do(), so that the sweep can watch it, check what a
 * failure left behind and call it again. */
#ifndef SCENARIO_LIB_H
#define SCENARIO_LIB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "baton.h"

/* ---- case folders --------------------------------------------------- */

/* The folders under `root`, at any depth, that hold a file named
 * `marker`, sorted by their path relative to `root` (their name). A
 * folder with the marker is a case and is not searched further; a folder
 * with neither the marker nor subfolders is an error, as is finding no
 * case at all: a misspelt file name must not silently drop a case.
 * Returns 0, or -1 after printing why to stderr. */
typedef struct sc_cases {
    char **names; /* relative paths, e.g. "saga/happy-no-compensation" */
    char **dirs;  /* full paths */
    size_t n;
} sc_cases;

int sc_walk(const char *root, const char *marker, sc_cases *out);
void sc_cases_free(sc_cases *cases);

/* Runs `test` once for every case folder under $ROOT_ENV (else
 * `default_root`) that holds `marker`, as the cmocka group `group`; each
 * test's state is a `const char *[2]`: the case's name and folder.
 * Returns what cmocka returns, or 1 when the walk failed. */
int sc_run_cases(const char *group, const char *root_env,
                 const char *default_root, const char *marker,
                 void (*test)(void **state));

/* Reads a whole file (NUL-terminated as well); fails the test if it
 * cannot. The caller frees it. */
char *sc_read_file(const char *path, size_t *len);

/* ---- scenarios ------------------------------------------------------ */

/* MATCH -> ACTIONs of "jobs" (and of an after-command "settle"). */
typedef struct sc_list {
    char *match;
    char **actions;
    size_t n;
} sc_list;

typedef struct sc_script {
    sc_list *lists;
    size_t n;
} sc_script;

enum sc_after_kind { SC_AFTER_SET, SC_AFTER_RETRIES, SC_AFTER_RESOLVE,
                     SC_AFTER_SETTLE };

typedef struct sc_after {
    enum sc_after_kind kind;
    char *vars;       /* SC_AFTER_SET: compact JSON */
    int retries;      /* SC_AFTER_RETRIES */
    sc_script settle; /* SC_AFTER_SETTLE */
} sc_after;

typedef struct scenario {
    char *name;       /* relative to the scenarios folder */
    char *model_path;
    char *process;    /* NULL: the only one */
    /* Processes deployed before it, for its call activities: each from
     * `model_path` (NULL: the scenario's model). */
    struct sc_deploy {
        char *model_path;
        char *process;
    } *deploys;
    size_t n_deploys;
    char *start;      /* start event id, NULL: the none start event */
    int64_t now;      /* the host clock at the start, ms since the epoch */
    char **then;      /* actions applied each time the instance waits */
    size_t n_then;
    char *variables;  /* compact JSON, or NULL */
    sc_script jobs;
    sc_after *after;
    size_t n_after;
    json_t *json;     /* the whole document ("expect" is read from it) */
} scenario;

/* Reads `dir`/scenario.json; "$CORPUS/" and "$MODELS/" in "model" are
 * the folders named by BATON_CORPUS and BATON_MODELS. Fails the test on
 * anything malformed. */
scenario *sc_load(const char *dir, const char *name);
void sc_free(scenario *sc);

/* ---- playing one ---------------------------------------------------- */

/* In-process handlers; the host fetching waiting jobs and settling them
 * by key; and fetching with a snapshot, free and restore at every stop. */
typedef enum sc_mode { SC_HANDLER, SC_FETCH, SC_RESTORE } sc_mode;

typedef enum sc_op {
    SC_ENGINE_NEW, /* writes r->e */
    SC_LOAD,       /* c->text: the path (NULL: the scenario's model);
                      writes c->model */
    SC_DEPLOY,     /* c->model, c->text: the process (NULL: the
                      scenario's) */
    SC_REGISTER,   /* c->text: the job type */
    SC_CREATE,     /* writes r->in */
    SC_RUN,
    SC_SET_VARS,   /* c->text */
    SC_RETRIES,    /* c->key, c->num */
    SC_RESOLVE,    /* c->key */
    SC_COMPLETE,   /* c->key, c->text (NULL: none) */
    SC_FAIL,       /* c->key, c->num, c->text */
    SC_THROW,      /* c->key, c->code, c->text */
    SC_SNAPSHOT,   /* writes c->snap, c->size */
    SC_RESTORE_OP, /* c->snap, c->size; writes r->in */
    SC_CORRELATE,  /* c->text: name, c->code: key, c->vars */
    SC_SIGNAL,     /* c->text: name, c->vars */
    SC_CANCEL
} sc_op;

typedef struct sc_call {
    sc_op op;
    const char *text;
    const char *code;
    const char *vars;
    uint64_t key;
    int num;
    int64_t ms; /* SC_FAIL: the backoff */
    baton_model *model;
    void *snap;
    size_t size;
} sc_call;

/* 1 for the calls that may change an existing instance. */
int sc_op_changes_instance(sc_op op);
const char *sc_op_name(sc_op op);

typedef struct sc_run sc_run;

struct sc_run {
    const scenario *sc;
    sc_mode mode;
    baton_engine *e;
    baton_instance *in;

    /* Hooks, all optional. `call` performs a call of the script (default
     * sc_exec); `quiet` is told when the driver's own bookkeeping calls
     * into the library (the record hook), 1 before and 0 after. */
    baton_alloc_fn alloc;
    void *alloc_ud;
    int (*call)(sc_run *r, sc_call *c);
    void (*quiet)(sc_run *r, int on);
    void *ud;
    /* Handlers return BATON_ENOMEM instead of failing the test when a
     * call they make runs out of memory (the step is then undone). */
    int tolerate_enomem;
    /* Sees the variables a handler read (baton_job_variables()); a
     * negative return is the handler's (BATON_ENOMEM undoes the step). */
    int (*vars)(sc_run *r, const char *vars);

    /* Driver state. */
    int64_t now;             /* the clock the engine reads */
    const sc_script *script; /* "jobs", then the last "settle" */
    size_t *next;            /* per list of `script`: next action */
    struct sc_advance {
        size_t list, prev;
        uint64_t revision;
    } *log;                  /* cursor moves made inside handlers */
    size_t n_log, cap_log;
    uint64_t *waiting;       /* keys of jobs the script said to leave */
    size_t n_waiting, cap_waiting;
    char **records;          /* each record as JSON text, in order */
    size_t n_records, cap_records;
};

void sc_run_init(sc_run *r, const scenario *sc, sc_mode mode);
/* Frees the instance, the engine and the driver state. */
void sc_run_clear(sc_run *r);

/* Performs one call, once: the default of the `call` hook. */
int sc_exec(sc_run *r, sc_call *c);
/* Performs one call through the hook. */
int sc_do(sc_run *r, sc_call *c);

/* Creates the engine, deploys, registers the handlers (handler mode) and
 * creates the instance; then runs it, settling jobs as the script says,
 * and applies the after-commands. */
void sc_play(sc_run *r);

/* Undoes the cursor moves of handler calls made at `revision` or later:
 * a step that failed is undone with them, and its handlers run again. */
void sc_rollback(sc_run *r, uint64_t revision);

/* "2026-01-01T00:00:00[.fff]Z" to ms since the epoch, and back into
 * `buf` (at least 32 bytes); an ISO 8601 duration of weeks, days, hours,
 * minutes and seconds to ms. Parsers return -1 when malformed. */
int sc_parse_time(const char *text, int64_t *ms);
char *sc_format_time(int64_t ms, char *buf);
int sc_parse_duration(const char *text, int64_t *ms);

/* The records as a JSON array of objects (json_decref). */
json_t *sc_records_json(const sc_run *r);

#endif
