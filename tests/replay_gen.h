/* Random valid BPMN models for the replay property test (test_replay.c),
 * and the seeded randomness the test's host shares with them.
 *
 * Everything here is a pure function of a 64-bit seed: the same seed
 * gives the same document, byte for byte, on every platform, so a seed
 * printed by a failing run is the whole reproduction. The PRNG is
 * splitmix64; rand() is never used. */
#ifndef REPLAY_GEN_H
#define REPLAY_GEN_H

#include <stddef.h>
#include <stdint.h>

/* ---- randomness ----------------------------------------------------- */

typedef struct rg_rng {
    uint64_t s;
} rg_rng;

/* splitmix64: the next 64 random bits. */
uint64_t rg_next(rg_rng *r);
/* Uniform in [0, n); 0 when n is 0. */
unsigned rg_below(rg_rng *r, unsigned n);
/* 1 with probability percent/100. */
int rg_chance(rg_rng *r, unsigned percent);
/* A seed made of a seed, a string and two numbers: decisions keyed by
 * what they concern (an element id, an attempt) rather than by when they
 * are taken. */
uint64_t rg_hash(uint64_t seed, const char *s, uint64_t a, uint64_t b);

/* ---- what models and host share ------------------------------------- */

/* Error codes. Models catch E0..E3 by code (and anything by catch-alls)
 * and throw E0..E4 from error end events; the host throws E0..E4, so E4
 * is caught by catch-alls only. */
#define RG_N_CODES 5
extern const char *const rg_codes[RG_N_CODES];
/* A code to throw: E0 the most often, E4 the least. */
const char *rg_code(rg_rng *r);

/* Messages m0 and m1 carry the correlation key "=ck" (the variable ck,
 * one of rg_keys, set in the initial variables), m2 none. Signals s0..s2.
 * Escalation codes X0..X2; X2 is caught by catch-alls only. */
#define RG_N_MESSAGES 3
extern const char *const rg_messages[RG_N_MESSAGES];
#define RG_N_KEYS 3
extern const char *const rg_keys[RG_N_KEYS];
#define RG_N_SIGNALS 3
extern const char *const rg_signals[RG_N_SIGNALS];
#define RG_N_ESCALATIONS 3
extern const char *const rg_escalations[RG_N_ESCALATIONS];

/* The host's clock starts at 2026-01-01T00:00:00Z; timer dates in the
 * models are a few minutes after it, durations a few minutes long. */
#define RG_EPOCH_MS 1767225600000LL

/* Writes a JSON object of random variables into buf (NUL-terminated,
 * truncated to cap): the variables the gateways test (g0..g2 numbers,
 * b0 b1 booleans, s0 a string, o an object with a number x), results
 * r0..r2, and now and then a value of the wrong type. With `all`, every
 * variable a condition reads is set (initial variables), and so are the
 * correlation key ck, the timer variable tw (a duration) and the
 * variables conditional events read (c0 a boolean, c1 a string, c2 a
 * number); without, a few of the first ones, and rarely ck or tw. */
void rg_vars(rg_rng *r, int all, char *buf, size_t cap);

/* Writes a JSON object setting some of the variables that conditional
 * events read (c0, c1, c2), as the host does to make them occur. */
void rg_cond_vars(rg_rng *r, char *buf, size_t cap);

/* ---- models --------------------------------------------------------- */

/* What a model holds, by kind, for the summary. */
enum rg_kind {
    RG_START_EVENT,
    RG_NO_START,              /* a scope without a start event */
    RG_TRANSACTION,           /* a transaction subprocess */
    RG_CANCEL_END,            /* its cancel end event */
    RG_CANCEL_BOUNDARY,       /* its cancel boundary event */
    RG_SUB_HANDLER,           /* a subprocess as compensation handler */
    RG_END_NONE,
    RG_END_TERMINATE,
    RG_END_ERROR,
    RG_END_COMPENSATE,
    RG_THROW_NONE,
    RG_THROW_COMPENSATE,      /* whole scope */
    RG_THROW_COMPENSATE_REF,  /* activityRef */
    RG_SERVICE_TASK,
    RG_OTHER_JOB_TASK,        /* send, user, script, business rule */
    RG_PLAIN_TASK,            /* task, manual task */
    RG_COMP_HANDLER,          /* isForCompensation task */
    RG_EXCLUSIVE_GATEWAY,
    RG_PARALLEL_GATEWAY,
    RG_SUB_PROCESS,
    RG_EVENT_SUB_PROCESS,     /* error start */
    RG_ERROR_BOUNDARY,        /* with a code */
    RG_ERROR_BOUNDARY_ANY,    /* catch-all */
    RG_COMP_BOUNDARY,
    RG_IO_MAPPING,            /* one zeebe:input or zeebe:output */
    RG_CONDITION,             /* a conditional sequence flow */
    RG_NO_DEFAULT,            /* a conditional split without default flow */
    RG_TIMER_CATCH,           /* intermediate catch events */
    RG_MESSAGE_CATCH,
    RG_SIGNAL_CATCH,
    RG_COND_CATCH,
    RG_RECEIVE_TASK,
    RG_TIMER_BOUNDARY,
    RG_MESSAGE_BOUNDARY,
    RG_SIGNAL_BOUNDARY,
    RG_COND_BOUNDARY,
    RG_ESCALATION_BOUNDARY,
    RG_EVSUB_TIMER,           /* event subprocesses by start event */
    RG_EVSUB_MESSAGE,
    RG_EVSUB_SIGNAL,
    RG_EVSUB_ESCALATION,
    RG_EVSUB_CONDITIONAL,
    RG_NON_INTERRUPTING,      /* boundary events and event subprocesses */
    RG_TIMER_CYCLE,           /* a timeCycle, repeating or not */
    RG_TIMER_EXPR,            /* a timer given as an expression */
    RG_ESCALATION_THROW,
    RG_ESCALATION_END,
    RG_SIGNAL_THROW,
    RG_SIGNAL_END,
    RG_MESSAGE_THROW,         /* a job */
    RG_MESSAGE_END,           /* a job */
    RG_LINK,                  /* a throw and catch pair */
    RG_EVENT_GATEWAY,
    RG_RETRY_CYCLE,           /* Camunda 7's failedJobRetryTimeCycle */
    RG_INCLUSIVE_GATEWAY,     /* forks and joins */
    RG_MULTI_INSTANCE,        /* a multi-instance task */
    RG_STANDARD_LOOP,         /* a task with a standard loop */
    RG_CALL_ACTIVITY,         /* calls a process of its own */
    RG_COMP_EVSUB,            /* a compensation event subprocess */
    RG_SCRIPT_TASK,           /* a script task the engine evaluates */
    RG_KINDS
};

const char *rg_kind_name(int kind);

typedef struct rg_model {
    char *xml;               /* NUL-terminated; free with rg_model_free */
    size_t len;
    unsigned n[RG_KINDS];    /* by kind */
    unsigned n_nodes;        /* flow nodes (events, tasks, gateways, ...) */
    unsigned n_flows;        /* sequence flows */
} rg_model;

/* Generates the model of `seed`: one executable process "replay" (and
 * one process "replay_cN" for each call activity, which calls it) with a
 * Zeebe namespace, block-structured (sequences, parallel and inclusive
 * blocks that join, exclusive and event-based blocks that merge,
 * subprocesses) so that it always loads, from a start and an end event
 * up to a few dozen elements.
 * Returns 0, or -1 when out of memory. */
int rg_generate(uint64_t seed, rg_model *out);
void rg_model_free(rg_model *m);

#endif
