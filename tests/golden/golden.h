/* What make_golden writes and test_golden reads back: one line per record
 * and one JSON view of an instance, built from the public API only, so
 * that both sides describe an instance the same way whatever the snapshot
 * format. See tests/golden/README.md. */
#ifndef BATON_GOLDEN_H
#define BATON_GOLDEN_H

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "baton.h"

static inline const char *golden_state_name(int state)
{
    static const char *const names[] = { "active", "waiting", "incident",
                                         "completed", "terminated" };
    return state >= 0 && state <= 4 ? names[state] : "?";
}

/* Keys leave the library as uint64_t; JSON keeps them as json_int_t, and
 * the cast back is exact. */
static inline json_t *golden_key(uint64_t key)
{
    return json_integer((json_int_t)key);
}

static inline uint64_t golden_key_value(const json_t *v)
{
    return (uint64_t)json_integer_value(v);
}

/* "POSITION VALUE_TYPE INTENT ELEMENT KEY field=KEY...": the position, the
 * names, the element id ("-" when none), the record's key, then every other
 * key of the record's value in Zeebe's exported shape (flowScopeKey,
 * elementInstanceKey, jobKey, scopeKey), sorted by field name, and for a
 * variable its name ("name=NAME").
 * processInstanceKey is left out where it is the instance's key; the
 * records of a process instance a call activity started (from format 5)
 * name their own, which is kept as a field. *pik_ok is cleared when a
 * record names a process instance the instance does not hold. */
static inline json_t *golden_record_line(const baton_instance *in,
                                  const baton_record *rec, int *pik_ok)
{
    char *text = NULL;
    size_t len = 0;
    if (baton_record_to_json(rec, &text, &len))
        return NULL;
    json_t *doc = json_loadb(text, len, 0, NULL);
    baton_free(text);
    json_t *value = json_object_get(doc, "value");
    const char *el = baton_record_element_id(rec);
    char line[1024];
    int n = snprintf(line, sizeof line, "%llu %s %s %s %llu",
                     (unsigned long long)baton_record_position(rec),
                     baton_value_type_name(baton_record_value_type(rec)),
                     baton_intent_name(baton_record_intent(rec)),
                     *el ? el : "-",
                     (unsigned long long)baton_record_key(rec));
    const char *names[16];
    size_t count = 0;
    const char *name;
    json_t *v;
    json_object_foreach(value, name, v) {
        size_t l = strlen(name);
        if (l < 3 || strcmp(name + l - 3, "Key") || !json_is_integer(v))
            continue;
        if (!strcmp(name, "processInstanceKey")) {
            uint64_t k = golden_key_value(v);
            if (k == baton_instance_key(in))
                continue;
            /* A called one's: inside the instance's range of keys. */
            if (pik_ok && (k < baton_instance_key(in) ||
                           k - baton_instance_key(in) >= (1ull << 32)))
                *pik_ok = 0;
        }
        if (count < sizeof names / sizeof *names)
            names[count++] = name;
    }
    for (size_t i = 1; i < count; i++) /* a handful: insertion sort */
        for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
            const char *t = names[k];
            names[k] = names[k - 1];
            names[k - 1] = t;
        }
    for (size_t i = 0; i < count && n > 0 && (size_t)n < sizeof line; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, " %s=%lld",
                      names[i],
                      (long long)json_integer_value(
                          json_object_get(value, names[i])));
    /* A variable record has no element: its name says what it is about. */
    const char *var = json_string_value(json_object_get(value, "name"));
    if (var && n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, " name=%s", var);
    json_decref(doc);
    return json_string(line);
}

/* The open subscriptions as the host lists them, and the wake-up time
 * (null when nothing waits on time). */
static inline void golden_view_waits(baton_instance *in, json_t *view)
{
    static const char *const kinds[] = { "timer", "message", "signal",
                                         "condition" };
    json_t *subs = json_array();
    for (size_t i = 0; i < baton_instance_subscription_count(in); i++) {
        int kind = baton_instance_subscription_kind(in, i);
        const char *name = baton_instance_subscription_name(in, i);
        const char *corr = baton_instance_subscription_correlation_key(in, i);
        json_t *x = json_object();
        json_object_set_new(x, "kind", json_string(kind >= 0 && kind <= 3
                                                       ? kinds[kind]
                                                       : "?"));
        json_object_set_new(x, "key", golden_key(
                                          baton_instance_subscription_key(in,
                                                                          i)));
        json_object_set_new(x, "elementId",
                            json_string(baton_instance_subscription_element_id(
                                in, i)));
        json_object_set_new(
            x, "elementInstanceKey",
            golden_key(baton_instance_subscription_element_instance_key(in,
                                                                        i)));
        json_object_set_new(x, "name", name ? json_string(name) : json_null());
        json_object_set_new(x, "correlationKey",
                            corr ? json_string(corr) : json_null());
        json_object_set_new(x, "due",
                            json_integer(baton_instance_subscription_due(in,
                                                                         i)));
        json_array_append_new(subs, x);
    }
    json_object_set_new(view, "subscriptions", subs);
    int64_t due = 0;
    json_object_set_new(view, "nextDue",
                        baton_instance_next_due(in, &due) == 1
                            ? json_integer(due)
                            : json_null());
}

/* The instance as the host sees it: state, key, revision, process
 * variables, waiting jobs, open incidents, and (what format 3 added to
 * the view) open subscriptions and the wake-up time. */
static inline json_t *golden_view(baton_instance *in)
{
    json_t *view = json_object();
    json_object_set_new(view, "state", json_string(golden_state_name(
                                           baton_instance_state(in))));
    json_object_set_new(view, "key", golden_key(baton_instance_key(in)));
    json_object_set_new(view, "revision",
                        golden_key(baton_instance_revision(in)));
    char *text = NULL;
    json_t *vars = NULL;
    if (!baton_instance_variables(in, &text, NULL))
        vars = json_loads(text, 0, NULL);
    baton_free(text);
    json_object_set_new(view, "variables", vars ? vars : json_null());
    json_t *jobs = json_array();
    for (size_t i = 0; i < baton_instance_job_count(in); i++) {
        baton_job *job = baton_instance_job(in, i);
        json_t *j = json_object();
        json_object_set_new(j, "elementId",
                            json_string(baton_job_element_id(job)));
        json_object_set_new(j, "key", golden_key(baton_job_key(job)));
        json_object_set_new(j, "type", json_string(baton_job_type(job)));
        json_object_set_new(j, "retries",
                            json_integer(baton_job_retries(job)));
        json_array_append_new(jobs, j);
    }
    json_object_set_new(view, "jobs", jobs);
    json_t *incidents = json_array();
    for (size_t i = 0; i < baton_instance_incident_count(in); i++) {
        json_t *x = json_object();
        json_object_set_new(x, "type", json_string(
                                           baton_instance_incident_type(in, i)));
        json_object_set_new(x, "elementId",
                            json_string(baton_instance_incident_element_id(
                                in, i)));
        json_object_set_new(x, "key",
                            golden_key(baton_instance_incident_key(in, i)));
        json_object_set_new(x, "jobKey", golden_key(
                                             baton_instance_incident_job_key(
                                                 in, i)));
        json_object_set_new(x, "message", json_string(
                                              baton_instance_incident_message(
                                                  in, i)));
        json_array_append_new(incidents, x);
    }
    json_object_set_new(view, "incidents", incidents);
    golden_view_waits(in, view);
    return view;
}

#endif
