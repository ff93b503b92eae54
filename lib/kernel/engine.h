/* The engine as the kernel sees it: the host's hooks and allocator, the
 * limits, the handler registry, the deployed processes, the buffers of
 * the step in progress, and the last error. */
#ifndef BT_KERNEL_ENGINE_H
#define BT_KERNEL_ENGINE_H

#include <jansson.h>
#include <stdint.h>

#include "baton.h"
#include "model/model.h"
#include "util/arena.h"
#include "util/mem.h"

struct bt_ei; /* kernel/instance.h */

typedef struct bt_handler {
    char *type;
    baton_handler_fn fn;
    void *ud;
} bt_handler;

typedef struct bt_deployment {
    baton_model *model;
    const bt_process *process;
    int version;
} bt_deployment;

/* The outcome a handler chose, applied after it returns. */
enum bt_outcome_kind {
    BT_OUT_NONE,
    BT_OUT_COMPLETE,
    BT_OUT_FAIL,
    BT_OUT_ERROR,
    BT_OUT_DEFER
};

typedef struct bt_outcome {
    uint32_t kind;
    int32_t retries;
    json_t *vars;
    char *code;
    char *message;
    int64_t backoff; /* BT_OUT_FAIL: milliseconds before the retry */
} bt_outcome;

#define BT_LIMIT_COUNT (BATON_LIMIT_CALL_DEPTH + 1)

struct baton_engine {
    bt_alloc alloc;
    baton_log_fn log;
    void *log_ud;
    baton_clock_fn clock;
    void *clock_ud;
    baton_record_fn record;
    void *record_ud;
    baton_persist_fn persist;
    void *persist_ud;
    baton_resolve_fn resolve;
    void *resolve_ud;
    baton_call_fn call;
    void *call_ud;

    int64_t limits[BT_LIMIT_COUNT];

    /* The time of the call in progress: asked of the clock hook once,
     * when first needed (bt_now), forgotten when the next call starts. */
    int64_t now;
    int now_valid;

    /* The step in progress (one at a time per engine: instances of an
     * engine are used by one thread, and a step of one instance cannot
     * start inside a step of another). Its records wait here for
     * delivery; the buffers are reused by every step. */
    const baton_instance *stepping;
    struct baton_record *recs;
    size_t n_recs, cap_recs;
    bt_arena scratch;
    /* The handler in progress, and what it chose. */
    baton_job *handler_job;
    bt_outcome outcome;
    /* What an element instance's kind does when it is terminated, after
     * what is inside it and before ELEMENT_TERMINATED (a task cancels its
     * job). Set by the layers above, which know the kinds; `thrower` is
     * the job whose error caused the termination, or 0. */
    int (*terminating)(baton_instance *in, struct bt_ei *ei,
                       uint64_t thrower);

    bt_handler *handlers;
    size_t n_handlers, cap_handlers;
    bt_deployment *deps;
    size_t n_deps, cap_deps;
    uint64_t next_instance; /* instance keys are next_instance << 32 */

    /* Last error. */
    int err_code;
    int err_line;
    int err_column;
    char err_msg[512];
    char err_element[128];
    char err_source[256];
};

/* Clears the last error (every fallible API call does this on entry). */
void bt_clear_error(baton_engine *e);
/* Starts a call that may change an instance: clears the last error and
 * forgets the previous call's time. */
void bt_call_begin(baton_engine *e);
/* A JUEL call handed to the host's call hook (baton_call_fn). */
struct baton_call {
    const char *target;
    const char *method;
    const char *args; /* JSON array text */
    size_t args_len;
    json_t *result;   /* set by baton_call_return */
    const bt_alloc *alloc;
};

/* The time of the call in progress (see baton_clock_fn): BATON_ESTATE
 * with the engine's error set when there is no clock hook. */
int bt_now(baton_engine *e, int64_t *now);
/* Records the last error and returns `code`. `element` and `source` may be
 * NULL. */
int bt_error(baton_engine *e, int code, const char *source, int line,
             int column, const char *element, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;
/* As bt_error(), with the code's own wording, unless an error is already
 * recorded (a deeper layer said more). */
int bt_error_default(baton_engine *e, int code);
void bt_log(baton_engine *e, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

const bt_handler *bt_engine_handler(const baton_engine *e, const char *type);
/* The deployment of `process_id` (NULL: any) with `version` (0: the
 * latest), or NULL. */
const bt_deployment *bt_engine_find_deployment(const baton_engine *e,
                                               const char *process_id,
                                               int version);

/* Parses JSON text with the engine's limits (duplicates refused, size and
 * depth capped). `want_object` refuses anything but an object. On failure
 * sets the engine's error and returns BATON_EPARSE, BATON_ELIMIT or
 * BATON_ENOMEM. `what` names the input in messages ("variables"). */
int bt_json_parse(baton_engine *e, const char *text, size_t len,
                  int want_object, const char *what, json_t **out);

#endif
