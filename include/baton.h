/*
 * baton.h - the public interface of Baton, an embeddable BPMN 2.0 engine.
 *
 * Copyright (c) the Baton authors. MIT license, see COPYING.
 *
 * Conventions that hold for every function below:
 *
 *  - Status: 0 is success, errors are negative BATON_E* codes. The few
 *    functions that return non-negative progress codes say so.
 *  - Last error: every call that takes an engine (directly or through a
 *    model or instance) and can fail resets the engine's last error on
 *    entry and, on failure, records a message with the source name, line,
 *    column and BPMN element id it concerns; read it with
 *    baton_engine_errmsg() and friends.
 *  - Atomicity: a call that fails, out of memory included, leaves every
 *    object as it was before the call. baton_instance_run() is a sequence
 *    of steps, each atomic: when one fails, the steps before it stay done
 *    (their records were already delivered) and the instance is as it was
 *    after the last of them.
 *  - Ownership: an object a constructor writes to `*out` belongs to the
 *    caller and is released with its _free function, which accepts NULL.
 *    A string or object a getter returns is borrowed from its parent and
 *    stays valid until the parent is next changed or freed. Input strings
 *    are copied. Arguments of a callback are valid only during the call.
 *    A buffer the library hands over through `char **out` is released with
 *    baton_free().
 *  - Text is UTF-8. JSON and BPMN documents are passed with an explicit
 *    length; a length of BATON_NUL (SIZE_MAX) means "NUL-terminated".
 *  - Threads: an engine and its instances are used by one thread at a time.
 *    A model is immutable once loaded and may be shared by threads.
 *  - The library reads no clock (time comes from the clock hook), starts
 *    no thread, opens no socket and reads no file except in
 *    baton_model_load_file().
 */
#ifndef BATON_H
#define BATON_H

#include <stddef.h>
#include <stdint.h>

#include "baton_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && !defined(BATON_STATIC)
#  ifdef BATON_BUILDING
#    define BATON_API __declspec(dllexport)
#  else
#    define BATON_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define BATON_API __attribute__((visibility("default")))
#else
#  define BATON_API
#endif

/** Length value meaning "the string is NUL-terminated". */
#define BATON_NUL SIZE_MAX

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/** Status codes. New codes are appended; existing values never change. */
enum baton_status {
    BATON_OK = 0,
    BATON_ENOMEM = -1,       /**< an allocation failed */
    BATON_EINVAL = -2,       /**< an argument is invalid (NULL, out of range) */
    BATON_EPARSE = -3,       /**< the BPMN or JSON text is not well formed */
    BATON_EUNSUPPORTED = -4, /**< the model uses something Baton cannot run */
    BATON_EMODEL = -5,       /**< the model is well formed but not valid */
    BATON_ENOTFOUND = -6,    /**< no such process, job, incident or variable */
    BATON_ESTATE = -7,       /**< the object is not in a state that allows it */
    BATON_ELIMIT = -8,       /**< a size, depth or count limit was reached
                                  (an instance's 2^32 keys included: one
                                  that has used them up refuses changes) */
    BATON_EIO = -9,          /**< a file could not be read */
    BATON_ESNAPSHOT = -10,   /**< a snapshot is damaged, foreign or too new */
    BATON_EEXPR = -11,       /**< an expression is malformed */
    BATON_EBUDGET = -12,     /**< baton_instance_run() used its step budget */
    BATON_EMIGRATE = -13     /**< a migration plan cannot move the instance */
};

/** A short English description of a status code; never NULL. */
BATON_API const char *baton_strerror(int code);

/** The version of the library that is linked, as "MAJOR.MINOR.PATCH". */
BATON_API const char *baton_version(void);
/** BATON_VERSION_NUMBER of the library that is linked. */
BATON_API int baton_version_number(void);

/** Releases a buffer the library handed over through `char **out` or
 *  `void **out`. Accepts NULL. The allocator that produced it (the engine's
 *  hook and its user data) must still be usable. */
BATON_API void baton_free(void *buffer);

/* ------------------------------------------------------------------ */
/* Engine                                                              */
/* ------------------------------------------------------------------ */

typedef struct baton_engine baton_engine;
typedef struct baton_model baton_model;
typedef struct baton_instance baton_instance;
typedef struct baton_job baton_job;
typedef struct baton_record baton_record;

/** Allocator, in the shape of lua_Alloc: new_size 0 frees `ptr` and
 *  returns NULL; otherwise it behaves as realloc and returns NULL on
 *  failure, leaving `ptr` untouched. `old_size` is the size of `ptr`
 *  (0 when ptr is NULL). */
typedef void *(*baton_alloc_fn)(void *ud, void *ptr, size_t old_size,
                                size_t new_size);

/** Log levels passed to the log hook. */
enum baton_log_level {
    BATON_LOG_ERROR = 0,
    BATON_LOG_WARN = 1,
    BATON_LOG_INFO = 2,
    BATON_LOG_DEBUG = 3
};

/** Log hook: `message` is NUL-terminated and valid during the call. */
typedef void (*baton_log_fn)(void *ud, int level, const char *message);

/** Clock hook: milliseconds since the Unix epoch (UTC), as the host sees
 *  it. Time is an input: the library reads no clock of its own. A call
 *  asks the hook at most once, the first time it needs the time (a timer
 *  starts or is looked at, a job fails with a backoff), and every
 *  transition of that call sees that one instant; baton_instance_run()
 *  fires every timer and backoff due at it. A call that needs the time
 *  to start a timer or a backoff when no hook is set fails with
 *  BATON_ESTATE and changes nothing; without a hook nothing is ever due,
 *  so an instance that waits on time just waits. The hook must not call
 *  into the library. */
typedef int64_t (*baton_clock_fn)(void *ud);

/** Record hook: called once for every record an instance produces, in
 *  order, after the transition it describes is done. `rec` is valid only
 *  during the call. The hook may read the record with baton_record_*()
 *  but must not call any function that changes an instance of the engine
 *  (they return BATON_ESTATE). */
typedef void (*baton_record_fn)(void *ud, baton_instance *instance,
                                const baton_record *rec);

/** Persist hook: called at the end of every baton_instance_run() that
 *  changed the instance, with the instance's snapshot and its revision.
 *  A non-zero return is reported as the run's failure (BATON_EIO) after
 *  the state is kept; the host may retry by calling run again. */
typedef int (*baton_persist_fn)(void *ud, baton_instance *instance,
                                const void *snapshot, size_t size,
                                uint64_t revision);

/** Resolver hook, for hosts that keep deployments elsewhere (a store) and
 *  deploy them into the engine on demand: called when a call activity is
 *  about to start an instance of `process_id` (`version` 0 when it binds
 *  to the latest deployment, so that the hook can deploy a newer one
 *  first; the version it names with Camunda 7's version binding), and
 *  when a snapshot being restored names a called process `process_id`
 *  `version` that the engine lacks. The hook may call
 *  baton_engine_deploy() on `engine`, and nothing that changes an
 *  instance; what is deployed when it returns decides. */
typedef void (*baton_resolve_fn)(void *ud, baton_engine *engine,
                                 const char *process_id, int version);

/** A call in a Camunda 7 (JUEL) expression that the engine cannot answer
 *  itself: a bean's method (`${pricing.quote(amount)}`) or a function
 *  (`${fn:upper(name)}`, `${now()}`). The engine reads variables through
 *  `execution.getVariable("x")` and `execution.hasVariable("x")` itself.
 *  Valid only during the hook. */
typedef struct baton_call baton_call;

/** The bean or function name: "pricing", "fn:upper". */
BATON_API const char *baton_call_target(const baton_call *call);
/** The method name, or NULL for a function call. */
BATON_API const char *baton_call_method(const baton_call *call);
/** The arguments, as the text of a JSON array; `len` may be NULL. */
BATON_API const char *baton_call_args(const baton_call *call, size_t *len);
/** Answers the call with the JSON text `json` of `len` bytes (or
 *  BATON_NUL). Returns BATON_OK, BATON_EPARSE (the text is not JSON; the
 *  call stays unanswered) or BATON_ENOMEM. */
BATON_API int baton_call_return(baton_call *call, const char *json,
                                size_t len);

/** Call hook: answers `call` with baton_call_return() and returns 0, or
 *  returns nonzero to refuse it; a refused or unanswered call makes the
 *  expression's value null, and where a value is required, the incident
 *  names the call. `reason` (`reason_size` bytes, "" on entry) may
 *  receive why, for that message. The hook must not call into the
 *  engine. */
typedef int (*baton_call_fn)(void *ud, baton_call *call, char *reason,
                             size_t reason_size);

/** Creates an engine. `alloc` may be NULL for the C library's allocator.
 *  Returns BATON_OK, BATON_EINVAL (out is NULL) or BATON_ENOMEM. */
BATON_API int baton_engine_new(baton_alloc_fn alloc, void *alloc_ud,
                               baton_engine **out);

/** Frees the engine. Models that are still referenced elsewhere stay
 *  valid; instances must be freed first. Accepts NULL. */
BATON_API void baton_engine_free(baton_engine *engine);

/** Hook setters: each replaces the hook and its user data; NULL removes
 *  it. They cannot fail. */
BATON_API void baton_engine_set_log(baton_engine *engine, baton_log_fn fn,
                                    void *ud);
BATON_API void baton_engine_set_clock(baton_engine *engine,
                                      baton_clock_fn fn, void *ud);
BATON_API void baton_engine_set_record_sink(baton_engine *engine,
                                            baton_record_fn fn, void *ud);
BATON_API void baton_engine_set_resolver(baton_engine *engine,
                                         baton_resolve_fn fn, void *ud);
BATON_API void baton_engine_set_persist(baton_engine *engine,
                                        baton_persist_fn fn, void *ud);
BATON_API void baton_engine_set_call_hook(baton_engine *engine,
                                          baton_call_fn fn, void *ud);

/** Sets the ordinal of the next instance the engine creates: its key is
 *  `ordinal << 32`, every key inside it shares those upper 32 bits, and
 *  later instances count on from it. A host that creates instances from
 *  several engines (threads, processes, machines) hands out ordinals from
 *  one counter so that keys never collide. An engine starts at 1.
 *  Returns BATON_OK, or BATON_EINVAL when `ordinal` is 0 or 2^31 or more
 *  (keys stay below 2^63, a signed 64-bit integer in any database). */
BATON_API int baton_engine_set_next_instance(baton_engine *engine,
                                             uint64_t ordinal);

/** Limits, all enforced while loading untrusted input. */
enum baton_limit {
    BATON_LIMIT_DOCUMENT_BYTES = 0, /**< BPMN document size (16 MiB) */
    BATON_LIMIT_XML_DEPTH = 1,      /**< XML nesting depth (256) */
    BATON_LIMIT_XML_ELEMENTS = 2,   /**< XML elements per document (1000000) */
    BATON_LIMIT_JSON_BYTES = 3,     /**< JSON text size (16 MiB) */
    BATON_LIMIT_JSON_DEPTH = 4,     /**< JSON nesting depth (64, at most 1024) */
    BATON_LIMIT_STEPS = 5,          /**< default step budget of run (100000) */
    /** Process instances nested by call activities (100): a call deeper
     *  than this (a process that calls itself without end) is a
     *  CALLED_ELEMENT_ERROR incident on the call activity. */
    BATON_LIMIT_CALL_DEPTH = 6
};

/** Sets a limit; returns the previous value, or -1 when `which` is unknown
 *  or `value` is out of range (at least 1; the XML depth at most 100000,
 *  the JSON depth at most 1024), with the engine's last error set to
 *  BATON_EINVAL and a message. */
BATON_API int64_t baton_engine_set_limit(baton_engine *engine, int which,
                                         int64_t value);

/** The message of the last failed call on this engine, or "" when the
 *  last call succeeded. Never NULL. */
BATON_API const char *baton_engine_errmsg(const baton_engine *engine);
/** The status code of the last failed call, or BATON_OK. */
BATON_API int baton_engine_errcode(const baton_engine *engine);
/** Line and column (1-based, 0 when unknown) of the last error. */
BATON_API int baton_engine_errline(const baton_engine *engine);
BATON_API int baton_engine_errcolumn(const baton_engine *engine);
/** The BPMN element id of the last error, or "" when none. Never NULL. */
BATON_API const char *baton_engine_errelement(const baton_engine *engine);
/** The source name (file name) of the last error, or "". Never NULL. */
BATON_API const char *baton_engine_errsource(const baton_engine *engine);

/* ------------------------------------------------------------------ */
/* Models                                                              */
/* ------------------------------------------------------------------ */

/** Parses a BPMN 2.0 document. `source_name` (may be NULL) names it in
 *  error messages. DOCTYPEs are refused, entities are never expanded and
 *  nothing is read from disk or network. Every executable process is
 *  checked: an element Baton cannot run is refused with its type, id and
 *  line. Non-executable processes are kept for inspection only.
 *  Returns BATON_OK, BATON_EINVAL, BATON_ENOMEM, BATON_EPARSE,
 *  BATON_ELIMIT, BATON_EUNSUPPORTED, BATON_EMODEL or BATON_EEXPR. */
BATON_API int baton_model_load(baton_engine *engine, const char *xml,
                               size_t len, const char *source_name,
                               baton_model **out);

/** As baton_model_load(), reading the file at `path` (which also names
 *  the source). Adds BATON_EIO. */
BATON_API int baton_model_load_file(baton_engine *engine, const char *path,
                                    baton_model **out);

/** A problem found in a BPMN document: `code` (BATON_E*), 1-based line and
 *  column (0 when unknown), the BPMN element's local name (`tag`, e.g.
 *  "intermediateCatchEvent") and id, each "" when unknown, and the message
 *  without location. Strings are valid during the call. */
typedef void (*baton_problem_fn)(void *ud, int code, const char *source,
                                 int line, int column, const char *tag,
                                 const char *element_id,
                                 const char *message);

/** Checks a document as baton_model_load() would, reporting every problem
 *  found (not only the first) to `fn`, and keeps nothing. Returns BATON_OK
 *  when the document can run, else the code of the first problem. */
BATON_API int baton_model_check(baton_engine *engine, const char *xml,
                                size_t len, const char *source_name,
                                baton_problem_fn fn, void *ud);

/** Drops the caller's reference. The model is freed when no engine
 *  deployment or instance holds it any more. Accepts NULL. */
BATON_API void baton_model_free(baton_model *model);

/** Number of processes in the document, and the id of the i-th (borrowed),
 *  or NULL when out of range. */
BATON_API size_t baton_model_process_count(const baton_model *model);
BATON_API const char *baton_model_process_id(const baton_model *model,
                                             size_t index);
/** 1 if the i-th process is executable, 0 if not or out of range. */
BATON_API int baton_model_process_executable(const baton_model *model,
                                             size_t index);
/** The model's identity: a 64-bit hash of the document's executable
 *  content, which snapshots carry and a restore checks, and the durable
 *  host compares to decide whether a document is a new version. It
 *  ignores what editors and formatters change without changing what
 *  runs: namespace prefixes and xmlns declarations (names count by
 *  namespace URI and local name, xsi:type values by the URI their prefix
 *  is bound to), the order of attributes, comments, processing
 *  instructions, whitespace-only text, the bpmndi:BPMNDiagram subtree,
 *  bpmn:documentation elements, the definitions' `exporter` and
 *  `exporterVersion`, and attributes in the Camunda modeler namespace
 *  (http://camunda.org/schema/modeler/1.0). Everything else counts
 *  exactly (ids, names, attribute values, text such as expressions and
 *  scripts, every extension element and value), so a change of what can
 *  run always gives another identity. docs/versions.md says more.
 *  Snapshots of format 5 and older named the model by the checksum of its
 *  bytes instead; they still restore against a model with those bytes. */
BATON_API uint64_t baton_model_checksum(const baton_model *model);
/** The job types that the elements of the `process`-th process create
 *  with a fixed type (the handlers a host needs), each once, in document
 *  order: count, and the i-th (borrowed from the model), or NULL when out
 *  of range. A type given as an expression is known only at run time and
 *  is not listed. */
BATON_API size_t baton_model_job_type_count(const baton_model *model,
                                            size_t process);
BATON_API const char *baton_model_job_type(const baton_model *model,
                                           size_t process, size_t index);
/** The flow nodes of the `process`-th process, those inside its
 *  subprocesses included, in document order: how many, and the i-th's
 *  id (borrowed from the model), or NULL when out of range. The ids are
 *  the element ids that records carry. */
BATON_API size_t baton_model_element_count(const baton_model *model,
                                           size_t process);
BATON_API const char *baton_model_element_id(const baton_model *model,
                                             size_t process, size_t index);
/** The sequence flows of the `process`-th process, those inside its
 *  subprocesses included, in document order: how many, and the i-th's id
 *  (borrowed), or NULL when out of range; a flow's id is the element id
 *  of its BATON_INTENT_SEQUENCE_FLOW_TAKEN records. */
BATON_API size_t baton_model_flow_count(const baton_model *model,
                                        size_t process);
BATON_API const char *baton_model_flow_id(const baton_model *model,
                                          size_t process, size_t index);

/** How a process-level start event starts an instance. */
enum baton_start_kind {
    BATON_START_NONE = 0,    /**< baton_instance_create() */
    BATON_START_TIMER = 1,   /**< when its timer is due */
    BATON_START_MESSAGE = 2, /**< when a message of its name arrives */
    BATON_START_SIGNAL = 3   /**< when a signal of its name is broadcast */
};

/** The start events of the `process`-th process, in document order: how
 *  many, and the i-th's id (borrowed), kind (enum baton_start_kind, -1
 *  when out of range) and message or signal name (borrowed; NULL for the
 *  other kinds). The host starts an instance at one of them with
 *  baton_instance_create_at() when its trigger occurs. */
BATON_API size_t baton_model_start_count(const baton_model *model,
                                         size_t process);
BATON_API const char *baton_model_start_id(const baton_model *model,
                                           size_t process, size_t index);
BATON_API int baton_model_start_kind(const baton_model *model,
                                     size_t process, size_t index);
BATON_API const char *baton_model_start_name(const baton_model *model,
                                             size_t process, size_t index);
/** When the timer of timer start event `index` is next due, for a host
 *  that keeps the schedule: `since` is the time of its last firing, or
 *  the deployment's time when it has not fired; `fired` counts its
 *  firings. A duration fires once, `since` plus the duration; a date
 *  once, at the date; a cycle at most its repetitions, each an interval
 *  after the previous (or at the cycle's own start); a cron expression
 *  at its next time after `since`. Returns 1 with `*due` set, 0 when it
 *  fires no more, or BATON_EINVAL when `index` is not a timer start
 *  event (a model belongs to no engine, so no last error is set). A
 *  timer given as an expression is worked out when the model loads,
 *  without variables; one that gives no timer is a load error. */
BATON_API int baton_model_start_next_due(const baton_model *model,
                                         size_t process, size_t index,
                                         int64_t since, uint32_t fired,
                                         int64_t *due);

/** Deploys one process of the model under its process id. `process_id`
 *  NULL picks the only executable process. A second deployment of the
 *  same id gets the next version; instances are created from the latest.
 *  `version_out` (may be NULL) receives the version. The engine keeps its
 *  own reference to the model. Returns BATON_OK, BATON_EINVAL,
 *  BATON_ENOMEM, BATON_ENOTFOUND (no such process), BATON_ESTATE (not
 *  executable, or no single executable process for NULL). */
BATON_API int baton_engine_deploy(baton_engine *engine, baton_model *model,
                                  const char *process_id, int *version_out);

/* ------------------------------------------------------------------ */
/* Jobs and handlers                                                   */
/* ------------------------------------------------------------------ */

/** A job handler, registered per job type. It is called during
 *  baton_instance_run() when a job of its type is ready. It must settle
 *  the job with exactly one of baton_job_complete(), baton_job_fail(),
 *  baton_job_throw_error() or baton_job_defer() before returning; a
 *  handler that settles nothing fails the job (retries count down). The
 *  return value is ignored unless negative, which fails the job too;
 *  except that BATON_ENOMEM with the job unsettled undoes the whole step
 *  as out of memory, and the handler is called again by the next step
 *  (handlers must therefore tolerate being called more than once).
 *  The handler may read the job and the instance's variables, and may not
 *  call any other function that changes this or another instance of the
 *  same engine (BATON_ESTATE: an engine carries one step at a time). */
typedef int (*baton_handler_fn)(void *ud, baton_job *job);

/** Registers `fn` for jobs of `type` (copied), replacing any earlier one;
 *  `fn` NULL unregisters. Returns BATON_OK, BATON_EINVAL, BATON_ENOMEM. */
BATON_API int baton_engine_register_handler(baton_engine *engine,
                                            const char *type,
                                            baton_handler_fn fn, void *ud);

/** Job accessors. Strings are borrowed from the job. */
BATON_API uint64_t baton_job_key(const baton_job *job);
/** The instance the job belongs to (borrowed), or NULL for NULL. */
BATON_API baton_instance *baton_job_instance(const baton_job *job);
BATON_API const char *baton_job_type(const baton_job *job);
BATON_API const char *baton_job_element_id(const baton_job *job);
BATON_API uint64_t baton_job_element_instance_key(const baton_job *job);
/** The key of the process instance the job's element runs in: a process
 *  instance a call activity started has its own (the baton_instance is
 *  baton_job_instance()'s, whose key is the root's). */
BATON_API uint64_t baton_job_process_instance_key(const baton_job *job);
BATON_API const char *baton_job_process_id(const baton_job *job);
BATON_API int baton_job_retries(const baton_job *job);
/** Custom headers (zeebe:taskHeaders, Camunda 7's camunda:properties):
 * count, and the i-th name/value. */
BATON_API size_t baton_job_header_count(const baton_job *job);
BATON_API const char *baton_job_header_name(const baton_job *job,
                                            size_t index);
BATON_API const char *baton_job_header_value(const baton_job *job,
                                             size_t index);
/** The value of header `name`, or NULL. */
BATON_API const char *baton_job_header(const baton_job *job,
                                       const char *name);
/** The variables the job sees (its scope and every scope above it, the
 *  nearest winning) as a JSON object text in `*out` (baton_free()).
 *  Returns BATON_OK, BATON_EINVAL or BATON_ENOMEM. */
BATON_API int baton_job_variables(const baton_job *job, char **out,
                                  size_t *len);

/** Settles a job inside its handler. `vars` is a JSON object text (NULL
 *  for none) merged as Zeebe merges a job result. Returns BATON_OK,
 *  BATON_EINVAL, BATON_EPARSE (not a JSON object), BATON_ENOMEM or
 *  BATON_ESTATE (already settled, or not inside a handler). */
BATON_API int baton_job_complete(baton_job *job, const char *vars,
                                 size_t len);
/** Fails the job: with `retries` > 0 it is tried again, with 0 an incident
 *  is raised. `message` may be NULL. */
BATON_API int baton_job_fail(baton_job *job, int retries,
                             const char *message);
/** Throws a BPMN error with `code` (required) and `message` (may be NULL)
 *  from the job's task. */
BATON_API int baton_job_throw_error(baton_job *job, const char *code,
                                    const char *message);
/** As baton_job_fail(), the retry waiting `backoff_ms` milliseconds
 *  (Zeebe's retryBackOff): the job is not handed out again, to a handler
 *  or in baton_instance_job(), until it is due, and the instance's
 *  baton_instance_next_due() includes it. A backoff of 0 is
 *  baton_job_fail(). Needs the clock (see baton_clock_fn). */
BATON_API int baton_job_fail_backoff(baton_job *job, int retries,
                                     int64_t backoff_ms,
                                     const char *message);
/** Leaves the job waiting; it is settled later by key with
 *  baton_instance_complete_job() and friends. */
BATON_API int baton_job_defer(baton_job *job);

/* ------------------------------------------------------------------ */
/* Instances                                                           */
/* ------------------------------------------------------------------ */

/** Instance states, as reported by baton_instance_state(). */
enum baton_instance_state {
    BATON_INSTANCE_ACTIVE = 0,     /**< has work ready to step */
    BATON_INSTANCE_WAITING = 1,    /**< waits on jobs or other events */
    BATON_INSTANCE_INCIDENT = 2,   /**< waits on at least one incident */
    BATON_INSTANCE_COMPLETED = 3,  /**< ended normally */
    BATON_INSTANCE_TERMINATED = 4  /**< ended by baton_instance_cancel() */
};

/** Progress codes returned by baton_instance_step() and _run(). */
enum baton_progress {
    BATON_STEP_READY = 1,   /**< more transitions are ready */
    BATON_STEP_WAITING = 2, /**< nothing ready: the instance waits */
    BATON_STEP_ENDED = 3    /**< the instance completed or terminated */
};

/** Creates an instance of the latest deployment of `process_id` (NULL:
 *  the only deployed process) with the variables of the JSON object text
 *  `vars` (NULL for none). The start event is queued; nothing runs until
 *  step or run. Returns BATON_OK, BATON_EINVAL, BATON_ENOMEM,
 *  BATON_ENOTFOUND, BATON_EPARSE, BATON_ELIMIT. */
BATON_API int baton_instance_create(baton_engine *engine,
                                    const char *process_id,
                                    const char *vars, size_t len,
                                    baton_instance **out);

/** As baton_instance_create(), started at the process-level start event
 *  `start_id` (see baton_model_start_id()) instead of the none start
 *  event: the host calls it when that event's timer is due, or its
 *  message or signal arrives (`vars` then carries the message's or
 *  signal's variables). Adds BATON_ENOTFOUND (no such start event). */
BATON_API int baton_instance_create_at(baton_engine *engine,
                                       const char *process_id,
                                       const char *start_id,
                                       const char *vars, size_t len,
                                       baton_instance **out);

/** Frees an instance (it is not cancelled: it just stops existing in
 *  memory). Accepts NULL. */
BATON_API void baton_instance_free(baton_instance *instance);

/** Performs exactly one transition. Returns BATON_STEP_READY,
 *  BATON_STEP_WAITING or BATON_STEP_ENDED, or a negative error. */
BATON_API int baton_instance_step(baton_instance *instance);

/** Steps until the instance waits or ends, at most `max_steps` steps (0:
 *  the engine's BATON_LIMIT_STEPS). Returns BATON_STEP_WAITING,
 *  BATON_STEP_ENDED, BATON_EBUDGET when the budget ran out with work
 *  still ready, or another negative error. Calls the persist hook at the
 *  end when the instance changed. */
BATON_API int baton_instance_run(baton_instance *instance, size_t max_steps);

/** The instance's state (enum baton_instance_state), or BATON_EINVAL for
 *  NULL. May be called from any callback. */
BATON_API int baton_instance_state(const baton_instance *instance);
/** The instance's 64-bit key (its process instance key), 0 for NULL. */
BATON_API uint64_t baton_instance_key(const baton_instance *instance);
/** The engine the instance belongs to (borrowed), or NULL for NULL. */
BATON_API baton_engine *baton_instance_engine(const baton_instance *instance);
/** The process id and version of the deployment the instance runs
 *  (borrowed), or NULL and 0 for NULL. */
BATON_API const char *baton_instance_process_id(
    const baton_instance *instance);
BATON_API int baton_instance_process_version(const baton_instance *instance);
/** Grows by one with every change of the instance. */
BATON_API uint64_t baton_instance_revision(const baton_instance *instance);

/** Variables of the process scope as a JSON object text (baton_free()). */
BATON_API int baton_instance_variables(const baton_instance *instance,
                                       char **out, size_t *len);
/** One variable of the process scope as JSON text; BATON_ENOTFOUND when
 *  it does not exist. */
BATON_API int baton_instance_get_variable(const baton_instance *instance,
                                          const char *name, char **out,
                                          size_t *len);
/** The live element instances (the process instance first, then each
 *  element instance that has not ended, in creation order) as a JSON
 *  array text (baton_free()): [{"key", "elementId", "elementType" (as in
 *  records: "PROCESS", "SERVICE_TASK", ...), "state" ("ACTIVATING",
 *  "ACTIVATED", "COMPLETING", "TERMINATING"), "flowScopeKey" (-1 for the
 *  process instance), "variables" (the scope's local variables as an
 *  object; {} when it has none)}]. This is what an operations view shows
 *  as "where the tokens are" and "variables by scope". Returns BATON_OK,
 *  BATON_EINVAL, BATON_ENOMEM. May be called from any callback. */
BATON_API int baton_instance_elements(const baton_instance *instance,
                                      char **out, size_t *len);
/** Merges the JSON object text `vars` into the process scope. */
BATON_API int baton_instance_set_variables(baton_instance *instance,
                                           const char *vars, size_t len);

/** Jobs that wait (created and not running in a handler): count, and the
 *  i-th, borrowed until the instance next changes. */
BATON_API size_t baton_instance_job_count(const baton_instance *instance);
BATON_API baton_job *baton_instance_job(baton_instance *instance,
                                        size_t index);

/** Settling a job by key, outside any handler (a deferred job, a job no
 *  handler took, a job of a restored instance). The instance moves on at
 *  the next step or run. Returns BATON_OK, BATON_EINVAL, BATON_ENOMEM,
 *  BATON_EPARSE, BATON_ENOTFOUND (no waiting job with that key),
 *  BATON_ESTATE (the job has an open incident). */
BATON_API int baton_instance_complete_job(baton_instance *instance,
                                          uint64_t job_key, const char *vars,
                                          size_t len);
BATON_API int baton_instance_fail_job(baton_instance *instance,
                                      uint64_t job_key, int retries,
                                      const char *message);
BATON_API int baton_instance_throw_job_error(baton_instance *instance,
                                             uint64_t job_key,
                                             const char *code,
                                             const char *message);
/** Sets the retries of a job (typically before resolving its incident). */
BATON_API int baton_instance_update_job_retries(baton_instance *instance,
                                                uint64_t job_key,
                                                int retries);
/** As baton_instance_fail_job(), with a backoff (see
 *  baton_job_fail_backoff()). */
BATON_API int baton_instance_fail_job_backoff(baton_instance *instance,
                                              uint64_t job_key, int retries,
                                              int64_t backoff_ms,
                                              const char *message);

/* ---- Events: timers, messages, signals, conditions --------------- */

/** When the instance next needs to be woken: the earliest due time of
 *  its timers and of its jobs' backoffs, in `*due` (milliseconds since
 *  the epoch). Returns 1 with `*due` set, 0 when nothing waits on time,
 *  BATON_EINVAL. The host calls baton_instance_run() at that time (or
 *  later): the run fires what is due at the clock's time. */
BATON_API int baton_instance_next_due(const baton_instance *instance,
                                      int64_t *due);

/** What an open subscription waits for. */
enum baton_subscription_kind {
    BATON_SUB_TIMER = 0,     /**< a timer (its due time) */
    BATON_SUB_MESSAGE = 1,   /**< a message (its name and correlation key) */
    BATON_SUB_SIGNAL = 2,    /**< a signal (its name) */
    BATON_SUB_CONDITION = 3  /**< a condition on variables (evaluated by the
                                  engine when they change) */
};

/** The open subscriptions of the instance, oldest first, so that a host
 *  can keep its own index of what each instance waits for: how many,
 *  and of the i-th its kind (enum baton_subscription_kind, -1 when out
 *  of range), key, the id and instance key of the element that catches
 *  (a catch event, receive task, boundary event, event-based gateway's
 *  event or event subprocess start event; the element instance is the
 *  one the subscription belongs to), the message or signal name and the
 *  message's correlation key (borrowed; NULL when none: a message
 *  subscription without a key matches on its name alone), and a timer's
 *  due time (0 for the other kinds). Borrowed strings stay valid until
 *  the instance next changes. */
BATON_API size_t baton_instance_subscription_count(
    const baton_instance *instance);
BATON_API int baton_instance_subscription_kind(const baton_instance *instance,
                                               size_t index);
BATON_API uint64_t baton_instance_subscription_key(
    const baton_instance *instance, size_t index);
BATON_API const char *baton_instance_subscription_element_id(
    const baton_instance *instance, size_t index);
BATON_API uint64_t baton_instance_subscription_element_instance_key(
    const baton_instance *instance, size_t index);
BATON_API const char *baton_instance_subscription_name(
    const baton_instance *instance, size_t index);
BATON_API const char *baton_instance_subscription_correlation_key(
    const baton_instance *instance, size_t index);
BATON_API int64_t baton_instance_subscription_due(
    const baton_instance *instance, size_t index);

/** Correlates a message: the oldest open message subscription with this
 *  `name` whose correlation key equals `correlation_key` (or that has
 *  none) is triggered, and the message's variables (a JSON object text,
 *  NULL for none) go to the element that catches it, as a job's result
 *  does. The instance moves on at the next step or run. Returns 1 when a
 *  subscription matched, 0 when none did (nothing changed), or
 *  BATON_EINVAL, BATON_EPARSE, BATON_ENOMEM, BATON_ESTATE (ended, or
 *  inside a step). Buffering a message until a subscription opens is
 *  the host's. */
BATON_API int baton_instance_correlate_message(baton_instance *instance,
                                               const char *name,
                                               const char *correlation_key,
                                               const char *vars, size_t len);

/** Delivers a signal: every open signal subscription named `name` is
 *  triggered, oldest first, with the variables (JSON object text, NULL
 *  for none). A signal throw event only announces its broadcast (a
 *  SIGNAL BROADCASTED record); which instances receive it, this one
 *  included, is the host's choice. Returns how many subscriptions were
 *  triggered (0: nothing changed), or an error as
 *  baton_instance_correlate_message(). */
BATON_API int baton_instance_signal(baton_instance *instance,
                                    const char *name, const char *vars,
                                    size_t len);

/** Open incidents: count, and the fields of the i-th (borrowed strings).
 *  Types are Zeebe's error types: "JOB_NO_RETRIES",
 *  "UNHANDLED_ERROR_EVENT", "CONDITION_ERROR", "EXTRACT_VALUE_ERROR",
 *  "CALLED_ELEMENT_ERROR". */
BATON_API size_t baton_instance_incident_count(
    const baton_instance *instance);
BATON_API uint64_t baton_instance_incident_key(
    const baton_instance *instance, size_t index);
BATON_API const char *baton_instance_incident_type(
    const baton_instance *instance, size_t index);
BATON_API const char *baton_instance_incident_message(
    const baton_instance *instance, size_t index);
BATON_API const char *baton_instance_incident_element_id(
    const baton_instance *instance, size_t index);
/** Key of the job the incident concerns, or 0. */
BATON_API uint64_t baton_instance_incident_job_key(
    const baton_instance *instance, size_t index);

/** Resolves an incident: the transition that raised it is tried again at
 *  the next step (a job with retries left becomes ready again; a job with
 *  0 retries gets 1). Returns BATON_OK, BATON_ENOTFOUND, BATON_ENOMEM. */
BATON_API int baton_instance_resolve_incident(baton_instance *instance,
                                              uint64_t incident_key);

/** Cancels the instance: every element is terminated at the next steps. */
BATON_API int baton_instance_cancel(baton_instance *instance);

/* ------------------------------------------------------------------ */
/* Snapshots                                                           */
/* ------------------------------------------------------------------ */

/** Serialises the instance (versioned binary format with the model's
 *  process id, version and checksum, the revision and its own checksum)
 *  into `*out` (baton_free()). Returns BATON_OK, BATON_EINVAL,
 *  BATON_ENOMEM, BATON_ESTATE (a handler is running). */
BATON_API int baton_instance_snapshot(const baton_instance *instance,
                                      void **out, size_t *size);

/** Rebuilds an instance from a snapshot, against the deployment of the
 *  same process id and version with the same model identity
 *  (baton_model_checksum(); a snapshot of format 5 or older, written
 *  before identities, against a model with the same bytes). Anything
 *  damaged, truncated, foreign or too new is refused whole with
 *  BATON_ESNAPSHOT; a missing deployment is BATON_ENOTFOUND. */
BATON_API int baton_instance_restore(baton_engine *engine, const void *data,
                                     size_t size, baton_instance **out);

/* ------------------------------------------------------------------ */
/* Migration                                                           */
/* ------------------------------------------------------------------ */

/** Moves a live instance to another deployed version of a process in the
 *  same engine (`process_id`, `version`; often the same process id, a
 *  newer version), as Zeebe's process instance migration and Camunda 7's
 *  migration plans do. `plan` (JSON text, may be NULL) is an object
 *  {"mappings": [{"sourceElementId": "A", "targetElementId": "B"}, ...]};
 *  an element id it does not map goes to the same id in the target when
 *  the target has one. Every live element instance, its subscriptions,
 *  timers, jobs, incidents, join marks and the compensation log move to
 *  their target elements; variables stay as they are; each moved element
 *  instance is announced by a record (PROCESS_INSTANCE, MIGRATED).
 *
 *  The plan is checked whole before anything moves; what cannot be moved
 *  is refused with BATON_EMIGRATE and every reason, each naming the
 *  element: an active element with no target; a target of another kind
 *  or with other event definitions; a target in another flow scope than
 *  its scope's target; a mapping into or out of a multi-instance body; a
 *  wait (message, timer, signal subscription) whose target does not wait
 *  for the same; a compensation log entry whose activity has no target
 *  with a handler. With `dry_run` non-zero nothing changes and the report
 *  is written all the same.
 *
 *  `*out` (may be NULL) receives the report as JSON text (baton_free()):
 *  {"from": {"processId", "version"}, "to": {"processId", "version"},
 *   "moved": [{"key", "sourceElementId", "targetElementId"}],
 *   "refused": [{"elementId", "reason"}]}. The last error's message lists
 *  the reasons too. Returns BATON_OK, BATON_EINVAL, BATON_EPARSE (the
 *  plan is not such an object), BATON_ENOTFOUND (no such deployment),
 *  BATON_ESTATE (the instance has ended, or a handler is running),
 *  BATON_EMIGRATE, BATON_ENOMEM. Atomic: on failure the instance is as it
 *  was. Not from a handler of this instance. */
BATON_API int baton_instance_migrate(baton_instance *instance,
                                     const char *process_id, int version,
                                     const char *plan, size_t len,
                                     int dry_run, char **out);

/* ------------------------------------------------------------------ */
/* Records                                                             */
/* ------------------------------------------------------------------ */

/** Record value types, as Zeebe's ValueType. */
enum baton_value_type {
    BATON_VT_PROCESS_INSTANCE = 0,
    BATON_VT_JOB = 1,
    BATON_VT_INCIDENT = 2,
    BATON_VT_VARIABLE = 3,
    BATON_VT_PROCESS_INSTANCE_CREATION = 4,
    /** A completed activity that can be compensated (or a completed
     *  subprocess with such activities inside): CREATED when it
     *  completes, TRIGGERED when its handler starts, COMPLETED when the
     *  handler has completed, DELETED when it ends untriggered (the
     *  process completes or is cancelled, its scope is terminated). */
    BATON_VT_COMPENSATION_SUBSCRIPTION = 5,
    /* 6 is reserved: a BPMN error is reported on its JOB record
     * (ERROR_THROWN) or as an UNHANDLED_ERROR_EVENT incident. */
    /** A timer: CREATED (with its due date), TRIGGERED, CANCELED. */
    BATON_VT_TIMER = 7,
    /** A message subscription, as the message side sees it (CREATED,
     *  CORRELATED, DELETED) and as the instance side does. */
    BATON_VT_MESSAGE_SUBSCRIPTION = 8,
    BATON_VT_PROCESS_MESSAGE_SUBSCRIPTION = 9,
    /** A signal subscription: CREATED, DELETED (also once triggered). */
    BATON_VT_SIGNAL_SUBSCRIPTION = 10,
    /** A signal throw event's broadcast (BROADCASTED), for the host. */
    BATON_VT_SIGNAL = 11,
    /** An escalation: ESCALATED when caught, NOT_ESCALATED when not (the
     *  instance goes on). */
    BATON_VT_ESCALATION = 12,
    /** A conditional event's subscription: CREATED, TRIGGERED, DELETED. */
    BATON_VT_CONDITIONAL_SUBSCRIPTION = 13
};

/** Record intents, as Zeebe's intents. */
enum baton_intent {
    BATON_INTENT_ELEMENT_ACTIVATING = 0,
    BATON_INTENT_ELEMENT_ACTIVATED = 1,
    BATON_INTENT_ELEMENT_COMPLETING = 2,
    BATON_INTENT_ELEMENT_COMPLETED = 3,
    BATON_INTENT_ELEMENT_TERMINATING = 4,
    BATON_INTENT_ELEMENT_TERMINATED = 5,
    BATON_INTENT_SEQUENCE_FLOW_TAKEN = 6,
    BATON_INTENT_CREATED = 7,
    BATON_INTENT_COMPLETED = 8,
    BATON_INTENT_FAILED = 9,
    BATON_INTENT_ERROR_THROWN = 10,
    BATON_INTENT_RETRIES_UPDATED = 11,
    BATON_INTENT_RESOLVED = 12,
    BATON_INTENT_UPDATED = 13,
    BATON_INTENT_CANCELED = 14,
    BATON_INTENT_TRIGGERED = 15,
    BATON_INTENT_CORRELATED = 16,
    BATON_INTENT_DELETED = 17,
    BATON_INTENT_BROADCASTED = 18,
    BATON_INTENT_ESCALATED = 19,
    BATON_INTENT_NOT_ESCALATED = 20,
    BATON_INTENT_RECURRED_AFTER_BACKOFF = 21,
    /** A process instance or element instance moved to another version
     *  by baton_instance_migrate() (value type PROCESS_INSTANCE). */
    BATON_INTENT_MIGRATED = 22
};

/** Record getters, for the record hook (a record lives only during the
 *  call). The value type (enum baton_value_type) and intent (enum
 *  baton_intent), or -1 for NULL. */
BATON_API int baton_record_value_type(const baton_record *rec);
BATON_API int baton_record_intent(const baton_record *rec);
/** The key of the record's subject (element instance, job, incident...). */
BATON_API uint64_t baton_record_key(const baton_record *rec);
/** Position of the record in the instance's stream, from 1. */
BATON_API uint64_t baton_record_position(const baton_record *rec);
/** Element id, or "" when none. Never NULL. */
BATON_API const char *baton_record_element_id(const baton_record *rec);
/** Zeebe's bpmnElementType ("SERVICE_TASK", "PROCESS",
 * "MULTI_INSTANCE_BODY", ...) or "". The body of a standard loop, which
 * Zeebe does not have, is "STANDARD_LOOP_BODY". Never NULL. */
BATON_API const char *baton_record_element_type(const baton_record *rec);
/** "PROCESS_INSTANCE", "JOB", ... and "ELEMENT_ACTIVATED", ... */
BATON_API const char *baton_value_type_name(int value_type);
BATON_API const char *baton_intent_name(int intent);
/** The whole record as one JSON object in Zeebe's exported shape
 *  (`valueType`, `intent`, `key`, `position`, `value` {...}) in `*out`
 *  (baton_free()). */
BATON_API int baton_record_to_json(const baton_record *rec, char **out,
                                   size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* BATON_H */
