/* Data-driven behaviour tests: every folder under tests/scenarios, at any
 * depth, that holds a scenario.json is a case, named by its path there
 * (tests/scenarios/saga/happy-no-compensation is "saga/happy-no-
 * compensation"). One driver runs them all, so a new case needs no new C;
 * folders group them by feature.
 *
 * scenario.json:
 *   "model":     file name in the folder, or "$CORPUS/..." / "$MODELS/..."
 *   "process":   process id (optional)
 *   "variables": initial variables (optional)
 *   "jobs":      { MATCH: [ACTION, ...] }  MATCH is an element id or a job
 *                type; ACTION as `baton run --job`: "complete[:JSON]",
 *                "fail[:MESSAGE]", "error:CODE[:MESSAGE]", "wait"; the
 *                last action repeats; unmatched jobs complete empty.
 *   "after":     commands once the instance first stops (optional), each
 *                {"set": {...}} | {"resolve": true} (every open incident)
 *                | {"retries": N} (every job held by an incident)
 *                | {"settle": {MATCH: [ACTION...]}} (settle every waiting
 *                job, deferred ones too, with this script), each
 *                followed by a run.
 *   "now":       the host clock at the start, "2026-01-01T00:00:00Z"
 *                (that by default); only "advance" moves it.
 *   "start":     the start event to create the instance at (optional).
 *   "deploy":    processes deployed before the scenario's, for its call
 *                activities: a process id of the scenario's model, or
 *                {"model": PATH, "process": ID} (optional).
 *   "then":      actions applied one by one once the instance waits (after
 *                "after"), each followed by a run, as `baton run --then`
 *                takes them: "advance:DURATION", "message:NAME[:KEY[:JSON]]",
 *                "signal:NAME[:JSON]", "complete:ELEMENT[:JSON]",
 *                "fail:ELEMENT[:MESSAGE]", "error:ELEMENT:CODE[:MESSAGE]",
 *                "cancel". A message or signal nothing matched fails.
 *                Job actions also take "backoff:DURATION[:MESSAGE]" (fail,
 *                retried after the duration).
 *   "expect":    "state", "completed" (ids of ELEMENT_COMPLETED records of
 *                tasks and events, in order), "not_completed", "variables"
 *                (a subset of the process variables), "incidents"
 *                ([{"type", "elementId"}], each with "message_contains",
 *                a part of its message, if given), "next_due" (UTC time
 *                or null),
 *                "subscriptions" ([{"kind", "elementId", "name",
 *                "correlationKey", "due"}], every open one in order),
 *                "records" (for the handler mode: "VALUE_TYPE INTENT
 *                SUBJECT" lines, in order, for every record whose value
 *                type is listed in "record_types"; SUBJECT is the
 *                elementId, or the event's element, or a message's
 *                name); with "record_detail": true each line also ends
 *                with the record's bpmnElementType, or a variable's
 *                name and value, or a signal's name or an escalation's
 *                code.
 *
 * Each scenario runs three ways, and all must give the same outcome:
 * settled by in-process handlers; settled by the host fetching waiting
 * jobs; and fetched with a snapshot, free and restore at every stop. The
 * handler run is repeated to check that records and snapshot bytes are
 * deterministic. test_alloc_fail.c plays every scenario again with each
 * allocation failing in turn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "baton.h"
#include "scenario_lib.h"

static const char *state_name(int s)
{
    static const char *const n[] = { "active", "waiting", "incident",
                                     "completed", "terminated" };
    return s >= 0 && s <= 4 ? n[s] : "?";
}

/* What a record line names: its element, else the element of an event
 * record as Zeebe calls it, else a message's name. */
static const char *record_subject(json_t *value)
{
    static const char *const fields[] = { "elementId", "targetElementId",
                                          "catchEventId", "throwElementId",
                                          "messageName" };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const char *s = json_string_value(json_object_get(value, fields[i]));
        if (s)
            return s;
    }
    return "";
}

/* A record line with the record's bpmnElementType, or a variable's name
 * and value, or what a signal or escalation record says it names. */
static json_t *detail(json_t *line, json_t *value)
{
    const char *t =
        json_string_value(json_object_get(value, "bpmnElementType"));
    const char *named =
        json_string_value(json_object_get(value, "signalName"));
    if (!named)
        named = json_string_value(json_object_get(value, "escalationCode"));
    if (!t && named) {
        json_t *out = json_sprintf("%s %s", json_string_value(line), named);
        json_decref(line);
        return out;
    }
    const char *name = json_string_value(json_object_get(value, "name"));
    json_t *v = json_object_get(value, "value");
    char *vs = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_t *out = t ? json_sprintf("%s %s", json_string_value(line), t)
                    : name ? json_sprintf("%s %s=%s", json_string_value(line),
                                          name, vs ? vs : "")
                           : json_incref(line);
    free(vs);
    json_decref(line);
    return out;
}

static const char *const sub_kinds[] = { "timer", "message", "signal",
                                         "condition" };

/* "next_due" (a UTC time, or null for none) and "subscriptions" (every
 * open one, oldest first: kind, elementId, and name, correlationKey, due
 * when given). */
static void check_waits(const sc_run *r, json_t *ex)
{
    json_t *nd = json_object_get(ex, "next_due");
    if (nd) {
        int64_t due;
        int has = baton_instance_next_due(r->in, &due);
        assert_true(has >= 0);
        char buf[32];
        if (json_is_null(nd)) {
            if (has)
                fail_msg("next_due: want none, got %s",
                         sc_format_time(due, buf));
        } else {
            if (!has)
                fail_msg("next_due: want %s, got none", json_string_value(nd));
            assert_string_equal(sc_format_time(due, buf),
                                json_string_value(nd));
        }
    }
    json_t *subs = json_object_get(ex, "subscriptions");
    if (!subs)
        return;
    assert_int_equal(baton_instance_subscription_count(r->in),
                     json_array_size(subs));
    size_t i;
    json_t *x;
    json_array_foreach(subs, i, x) {
        int kind = baton_instance_subscription_kind(r->in, i);
        assert_true(kind >= 0 && kind < 4);
        assert_string_equal(sub_kinds[kind],
                            json_string_value(json_object_get(x, "kind")));
        assert_string_equal(baton_instance_subscription_element_id(r->in, i),
                            json_string_value(json_object_get(x,
                                                              "elementId")));
        const char *name = json_string_value(json_object_get(x, "name"));
        if (name)
            assert_string_equal(baton_instance_subscription_name(r->in, i),
                                name);
        const char *ck = json_string_value(json_object_get(x,
                                                           "correlationKey"));
        if (ck)
            assert_string_equal(
                baton_instance_subscription_correlation_key(r->in, i), ck);
        const char *due = json_string_value(json_object_get(x, "due"));
        char buf[32];
        if (due)
            assert_string_equal(
                sc_format_time(baton_instance_subscription_due(r->in, i),
                               buf),
                due);
    }
}

static void check_expect(const sc_run *r, json_t *records)
{
    json_t *ex = json_object_get(r->sc->json, "expect");
    const char *state = json_string_value(json_object_get(ex, "state"));
    if (state)
        assert_string_equal(state_name(baton_instance_state(r->in)), state);

    /* Completed tasks and events, in order. */
    json_t *done = json_array();
    size_t i;
    json_t *rec;
    json_array_foreach(records, i, rec) {
        json_t *val = json_object_get(rec, "value");
        const char *t = json_string_value(json_object_get(val,
                                                          "bpmnElementType"));
        if (strcmp(json_string_value(json_object_get(rec, "intent")),
                   "ELEMENT_COMPLETED") ||
            !t || !strcmp(t, "SEQUENCE_FLOW") || !strcmp(t, "PROCESS") ||
            strstr(t, "GATEWAY"))
            continue;
        json_array_append(done, json_object_get(val, "elementId"));
    }
    json_t *want = json_object_get(ex, "completed");
    if (want && !json_equal(want, done)) {
        char *a = json_dumps(want, JSON_COMPACT), *b = json_dumps(done,
                                                                  JSON_COMPACT);
        fail_msg("completed: want %s\n got %s", a, b);
    }
    json_t *nope = json_object_get(ex, "not_completed");
    json_t *x;
    json_array_foreach(nope, i, x) {
        size_t k;
        json_t *y;
        json_array_foreach(done, k, y)
            if (json_equal(x, y))
                fail_msg("%s completed", json_string_value(x));
    }
    json_decref(done);

    json_t *vars = json_object_get(ex, "variables");
    if (vars) {
        char *text;
        assert_int_equal(baton_instance_variables(r->in, &text, NULL), 0);
        json_t *have = json_loads(text, 0, NULL);
        baton_free(text);
        const char *k;
        json_t *v;
        json_object_foreach(vars, k, v) {
            /* An expected null also accepts an absent variable. */
            json_t *h = json_object_get(have, k);
            if (json_is_null(v) ? h && !json_is_null(h) : !json_equal(h, v)) {
                char *w = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
                char *g = h ? json_dumps(h, JSON_ENCODE_ANY | JSON_COMPACT)
                            : NULL;
                fail_msg("variable %s differs (%s mode): want %s, got %s", k,
                         r->mode == SC_HANDLER ? "handler"
                         : r->mode == SC_FETCH ? "fetch"
                                               : "restore",
                         w, g ? g : "nothing");
            }
        }
        json_decref(have);
    }
    check_waits(r, ex);
    json_t *inc = json_object_get(ex, "incidents");
    if (inc) {
        assert_int_equal(baton_instance_incident_count(r->in),
                         json_array_size(inc));
        json_array_foreach(inc, i, x) {
            assert_string_equal(baton_instance_incident_type(r->in, i),
                                json_string_value(json_object_get(x, "type")));
            assert_string_equal(baton_instance_incident_element_id(r->in, i),
                                json_string_value(json_object_get(x,
                                                                  "elementId")));
            const char *part = json_string_value(
                json_object_get(x, "message_contains"));
            const char *msg = baton_instance_incident_message(r->in, i);
            if (part && !strstr(msg, part))
                fail_msg("incident %zu: message \"%s\" does not contain "
                         "\"%s\"",
                         i, msg, part);
        }
    }
    json_t *lines = json_object_get(ex, "records");
    json_t *types = json_object_get(ex, "record_types");
    if (lines && r->mode == SC_HANDLER) {
        json_t *got = json_array();
        json_array_foreach(records, i, rec) {
            const char *vt = json_string_value(json_object_get(rec,
                                                               "valueType"));
            size_t k;
            json_t *t;
            int keep = !types;
            json_array_foreach(types, k, t)
                keep |= !strcmp(json_string_value(t), vt);
            if (!keep)
                continue;
            json_t *value = json_object_get(rec, "value");
            json_t *line = json_sprintf(
                "%s %s %s", vt,
                json_string_value(json_object_get(rec, "intent")),
                record_subject(value));
            if (json_is_true(json_object_get(ex, "record_detail")))
                line = detail(line, value);
            assert_non_null(line);
            json_array_append_new(got, line);
        }
        if (!json_equal(lines, got)) {
            /* A line each: cmocka cuts long messages. */
            print_message("records differ; got:\n[\n");
            json_array_foreach(got, i, rec) {
                char *q = json_dumps(rec, JSON_ENCODE_ANY);
                print_message(" %s%s\n", q,
                              i + 1 < json_array_size(got) ? "," : "");
                free(q);
            }
            print_message("]\n");
            fail_msg("records differ");
        }
        json_decref(got);
    }
}

/* Plays the scenario one way and checks its expectations; returns the
 * records and, if asked, the end snapshot (free()). */
static json_t *run_once(const scenario *sc, sc_mode mode, void **snap_out,
                        size_t *snap_len)
{
    sc_run r;
    sc_run_init(&r, sc, mode);
    sc_play(&r);
    json_t *records = sc_records_json(&r);
    check_expect(&r, records);
    if (snap_out) {
        void *s;
        assert_int_equal(baton_instance_snapshot(r.in, &s, snap_len), 0);
        *snap_out = malloc(*snap_len);
        assert_non_null(*snap_out);
        memcpy(*snap_out, s, *snap_len);
        baton_free(s);
    }
    sc_run_clear(&r);
    return records;
}

static void test_scenario(void **state)
{
    const char *const *c = *state; /* name, folder */
    scenario *sc = sc_load(c[1], c[0]);

    void *snap1, *snap2;
    size_t len1, len2;
    json_t *recs1 = run_once(sc, SC_HANDLER, &snap1, &len1);
    /* Deterministic: same records and the same snapshot bytes. */
    json_t *recs2 = run_once(sc, SC_HANDLER, &snap2, &len2);
    assert_true(json_equal(recs1, recs2));
    assert_int_equal(len1, len2);
    assert_memory_equal(snap1, snap2, len1);
    json_decref(run_once(sc, SC_FETCH, NULL, NULL));
    json_decref(run_once(sc, SC_RESTORE, NULL, NULL));
    json_decref(recs1);
    json_decref(recs2);
    free(snap1);
    free(snap2);
    sc_free(sc);
}

int main(void)
{
    return sc_run_cases("scenarios", "BATON_SCENARIOS", "tests/scenarios",
                        "scenario.json", test_scenario);
}
