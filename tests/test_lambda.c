/*
 * test_lambda.c - libbaton-lambda (baton_lambda.h): the payload template,
 * the outcome of each kind of Invoke answer, SigV4 signatures checked by
 * botocore, bad configurations, and jobs run by the durable host against
 * a stand-in of the Invoke API (tests/lambda/invoke_standin.py): three
 * functions invoked at once from a parallel gateway, and the four paths
 * of zeebe-lambda-worker's trip-booking saga.
 *
 * BATON_LAMBDA_STANDIN names the stand-in script, BATON_MODELS and
 * BATON_CORPUS the model directories.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "baton_lambda.h"
#include "host/store_util.h"
#include "lambda_int.h"

#define ACCESS "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "session-token-for-the-tests"
#define REGION "eu-west-1"

static pid_t standin;
static int port;
static char logpath[256];
static char endpoint[64];
static baton_lambda *L;

/* ------------------------------------------------------------------ */
/* The stand-in and its log                                            */
/* ------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    const char *script = getenv("BATON_LAMBDA_STANDIN");
    if (!script) {
        fprintf(stderr, "BATON_LAMBDA_STANDIN is not set\n");
        return -1;
    }
    unsetenv("AWS_REGION");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("BATON_LAMBDA_ENDPOINT");
    snprintf(logpath, sizeof logpath, "/tmp/baton-lambda-log-XXXXXX");
    int fd = mkstemp(logpath);
    if (fd < 0)
        return -1;
    close(fd);
    int p[2];
    if (pipe(p))
        return -1;
    standin = fork();
    if (standin == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execlp("python3", "python3", script, logpath, ACCESS, SECRET, TOKEN,
               REGION, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    FILE *f = fdopen(p[0], "r");
    if (!f || fscanf(f, "%d", &port) != 1) {
        fprintf(stderr, "the stand-in did not start\n");
        return -1;
    }
    fclose(f);
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", port);
    baton_lambda_config c = {0};
    c.region = REGION;
    c.endpoint = endpoint;
    c.access_key_id = ACCESS;
    c.secret_access_key = SECRET;
    c.session_token = TOKEN;
    c.retry_backoff_ms = 250;
    c.timeout_ms = 30000;
    int rc = baton_lambda_new(&c, &L);
    if (rc)
        fprintf(stderr, "baton_lambda_new: %s\n", baton_lambda_errmsg(L));
    return rc;
}

static int group_teardown(void **state)
{
    (void)state;
    baton_lambda_free(L);
    if (standin > 0) {
        kill(standin, SIGTERM);
        waitpid(standin, NULL, 0);
    }
    remove(logpath);
    return 0;
}

/* The log's entries from line `from` on, as a JSON array. */
static json_t *log_since(size_t from)
{
    json_t *a = json_array();
    FILE *f = fopen(logpath, "r");
    assert_non_null(f);
    char line[65536];
    size_t i = 0;
    while (fgets(line, sizeof line, f)) {
        if (i++ < from)
            continue;
        json_t *e = json_loads(line, 0, NULL);
        assert_non_null(e);
        json_array_append_new(a, e);
    }
    fclose(f);
    return a;
}

static size_t log_count(void)
{
    json_t *a = log_since(0);
    size_t n = json_array_size(a);
    json_decref(a);
    return n;
}

/* ------------------------------------------------------------------ */
/* The template                                                        */
/* ------------------------------------------------------------------ */

static void check_render(const char *tmpl, const char *vars,
                         const char *expected)
{
    json_t *v = json_loads(vars, 0, NULL);
    assert_non_null(v);
    char *out = lambda_template_render(tmpl, v);
    assert_non_null(out);
    if (strcmp(out, expected) != 0)
        fprintf(stderr, "render %s: got [%s], want [%s]\n", tmpl, out,
                expected);
    assert_string_equal(out, expected);
    free(out);
    json_decref(v);
}

static void test_template(void **state)
{
    (void)state;
    const char *x = "{\"x\": \"<a href=\\\"/\\\">'&'</a> `=`\"}";
    check_render("{{x}}", x,
                 "&lt;a href&#61;&quot;/&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; "
                 "&#96;&#61;&#96;");
    check_render("{{{x}}}", x, "<a href=\"/\">'&'</a> `=`");
    check_render("{{&x}}", x, "<a href=\"/\">'&'</a> `=`");
    check_render("a{{ x }}b", "{\"x\": \"y\"}", "ayb");
    check_render("{{a.b.c}}/{{a.b}}", "{\"a\": {\"b\": {\"c\": \"deep\"}}}",
                 "deep/{&quot;c&quot;:&quot;deep&quot;}");
    check_render("{{{a.b}}}", "{\"a\": {\"b\": {\"c\": [1, 2]}}}",
                 "{\"c\":[1,2]}");
    check_render("{{n}} {{f}} {{t}} {{z}}",
                 "{\"n\": 5, \"f\": 1.5, \"t\": true, \"z\": false}",
                 "5 1.5 true false");
    check_render("[{{missing}}][{{a.missing}}][{{nul}}][{{a.b.c}}]",
                 "{\"a\": {\"b\": 1}, \"nul\": null}", "[][][][]");
    check_render("{{! a comment }}x{{#s}}y{{/s}}", "{}", "xy");
    check_render("no tags {{ unclosed", "{}", "no tags {{ unclosed");
    check_render("{{{variablesJson}}}", "{\"a\": \"q\\\"\", \"n\": 1}",
                 "{\"a\":\"q\\\"\",\"n\":1}");
    check_render("{{variablesJson}}", "{\"a\": 1}", "{&quot;a&quot;:1}");
    check_render("{{{variablesJsonEscaped}}}", "{\"a\": \"q\\\"\\\\\"}",
                 "{\\\"a\\\":\\\"q\\\\\\\"\\\\\\\\\\\"}");

    /* The seed model's body header gives valid JSON whose body string is
     * the variables. */
    const char *vars = "{\"name\": \"Ann \\\"O'Neil\\\"\", \"nights\": 3, "
                       "\"tags\": [\"a/b\", \"<c>\"], \"x\": {\"y\": null}}";
    json_t *v = json_loads(vars, 0, NULL);
    char *out = lambda_template_render(
        "{\"body\":  \"{{{variablesJsonEscaped}}}\"  }", v);
    assert_non_null(out);
    json_t *payload = json_loads(out, 0, NULL);
    assert_non_null(payload);
    json_t *body =
        json_loads(json_string_value(json_object_get(payload, "body")), 0,
                   NULL);
    assert_non_null(body);
    assert_true(json_equal(body, v));
    json_decref(body);
    json_decref(payload);
    json_decref(v);
    free(out);
}

/* ------------------------------------------------------------------ */
/* Invoke outcomes                                                     */
/* ------------------------------------------------------------------ */

static void invoke(const char *headers, const char *vars,
                   baton_lambda_outcome *o)
{
    assert_int_equal(baton_lambda_invoke(L, headers, vars, o), BATON_OK);
}

static void expect_complete(const char *headers, const char *vars,
                            const char *expected)
{
    baton_lambda_outcome o;
    invoke(headers, vars, &o);
    if (o.kind != BATON_LAMBDA_COMPLETE)
        fprintf(stderr, "%s: %s\n", headers, o.message ? o.message : "");
    assert_int_equal(o.kind, BATON_LAMBDA_COMPLETE);
    assert_string_equal(o.variables, expected);
    baton_lambda_outcome_clear(&o);
}

static void expect_fail(const char *headers, int64_t backoff,
                        const char *part)
{
    baton_lambda_outcome o;
    invoke(headers, "{}", &o);
    assert_int_equal(o.kind, BATON_LAMBDA_FAIL);
    assert_non_null(o.message);
    if (!strstr(o.message, part))
        fprintf(stderr, "message [%s] lacks [%s]\n", o.message, part);
    assert_non_null(strstr(o.message, part));
    assert_null(strstr(o.message, SECRET));
    assert_null(strstr(o.message, TOKEN));
    assert_int_equal(o.backoff_ms, backoff);
    baton_lambda_outcome_clear(&o);
}

static void test_invoke_results(void **state)
{
    (void)state;
    /* Without "body" the payload is the variables; default resultName. */
    expect_complete("{\"functionName\": \"echo\"}", "{\"a\": [1, \"b\"]}",
                    "{\"echo\":{\"a\":[1,\"b\"]}}");
    expect_complete("{\"functionName\": \"echo\", \"resultName\": \"r\", "
                    "\"body\": \"{\\\"greet\\\": \\\"{{name}}\\\"}\"}",
                    "{\"name\": \"Ann & Bob\"}",
                    "{\"r\":{\"greet\":\"Ann &amp; Bob\"}}");
    /* {statusCode, body} results. */
    expect_complete("{\"functionName\": \"book-hotel\", "
                    "\"resultName\": \"hotel\"}",
                    "{}",
                    "{\"hotel\":{\"success\":true},\"hotelStatusCode\":200,"
                    "\"hotelJsonString\":\"{\\\"success\\\": true}\"}");
    expect_complete("{\"functionName\": \"book-car\"}",
                    "{\"failCar\": true}",
                    "{\"book-car\":{\"success\":false},"
                    "\"book-carStatusCode\":200,"
                    "\"book-carJsonString\":\"{\\\"success\\\": false}\"}");
    /* A result that is not JSON. */
    expect_complete("{\"functionName\": \"text\"}", "{}",
                    "{\"text\":\"plain text, not JSON\"}");
    /* name:qualifier goes as ?Qualifier= (the stand-in checks that the
     * signature covers it, '$' encoded). */
    static const char *const q[][2] = {{"echo:live", "live"},
                                       {"echo:$LATEST", "$LATEST"}};
    for (size_t i = 0; i < 2; i++) {
        size_t before = log_count();
        char h[128];
        snprintf(h, sizeof h,
                 "{\"functionName\": \"%s\", \"resultName\": \"r\"}",
                 q[i][0]);
        expect_complete(h, "{\"x\": 1}", "{\"r\":{\"x\":1}}");
        json_t *a = log_since(before);
        assert_int_equal(json_array_size(a), 1);
        json_t *e = json_array_get(a, 0);
        assert_string_equal(json_string_value(json_object_get(e, "path")),
                            "/2015-03-31/functions/echo/invocations");
        assert_string_equal(
            json_string_value(json_object_get(e, "qualifier")), q[i][1]);
        json_decref(a);
    }
    /* A full ARN goes percent-encoded in the path; the signature must
     * cover that path encoded once more, as AWS checks for every service
     * but S3. Only a libcurl that does so (8.15 on) may send it. */
    const char *arn = "{\"functionName\": "
                      "\"arn:aws:lambda:us-east-1:123456789012:function:echo\","
                      " \"resultName\": \"r\"}";
    size_t before = log_count();
    if (curl_version_info(CURLVERSION_NOW)->version_num >= 0x080f00) {
        expect_complete(arn, "{\"x\": 1}", "{\"r\":{\"x\":1}}");
        assert_int_equal(log_count(), before + 1);
    } else {
        expect_fail(arn, 0,
                    "cannot invoke function arn:aws:lambda:us-east-1:"
                    "123456789012:function:echo: an ARN needs libcurl 8.15");
        assert_int_equal(log_count(), before);
    }
}

static void test_invoke_errors(void **state)
{
    (void)state;
    baton_lambda_outcome o;
    /* A function error without functionErrorCode fails the job at once. */
    expect_fail("{\"functionName\": \"fail-handled\"}", 0,
                "function fail-handled failed: NoRooms: no rooms left");
    /* With it, the BPMN error is thrown. */
    invoke("{\"functionName\": \"fail-handled\", "
           "\"functionErrorCode\": \"NO_ROOMS\"}", "{}", &o);
    assert_int_equal(o.kind, BATON_LAMBDA_ERROR);
    assert_string_equal(o.error_code, "NO_ROOMS");
    assert_string_equal(o.message, "NoRooms: no rooms left");
    baton_lambda_outcome_clear(&o);
    /* Refusals. */
    expect_fail("{\"functionName\": \"no-such-function\"}", 0,
                "HTTP 404: Function not found: no-such-function");
    expect_fail("{\"functionName\": \"throttle\"}", 250,
                "HTTP 429 (throttled): Rate exceeded");
    expect_fail("{\"functionName\": \"boom\"}", 250,
                "HTTP 500: internal failure");
    /* No functionName header. */
    expect_fail("{\"body\": \"{}\"}", 0, "no \"functionName\" header");
    expect_fail("{}", 0, "no \"functionName\" header");
    /* Headers that are not an object. */
    expect_fail("[1]", 0, "headers are not a JSON object");
}

static void test_signatures(void **state)
{
    (void)state;
    /* Every call so far passed the stand-in's SigV4 check. */
    json_t *all = log_since(0);
    assert_true(json_array_size(all) > 5);
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e)
        assert_int_not_equal(
            json_integer_value(json_object_get(e, "status")), 403);
    json_decref(all);

    /* A wrong secret (or token) is refused by the stand-in: 403. */
    const char *bad[][2] = {{"wrong-secret-key-xyz", TOKEN},
                            {SECRET, "wrong-token-xyz"}};
    for (size_t k = 0; k < 2; k++) {
        baton_lambda_config c = {0};
        c.region = REGION;
        c.endpoint = endpoint;
        c.access_key_id = ACCESS;
        c.secret_access_key = bad[k][0];
        c.session_token = bad[k][1];
        baton_lambda *w = NULL;
        assert_int_equal(baton_lambda_new(&c, &w), BATON_OK);
        baton_lambda_outcome o;
        assert_int_equal(baton_lambda_invoke(w, "{\"functionName\":\"echo\"}",
                                             "{}", &o),
                         BATON_OK);
        assert_int_equal(o.kind, BATON_LAMBDA_FAIL);
        assert_non_null(strstr(o.message, "HTTP 403: signature mismatch"));
        assert_null(strstr(o.message, bad[k][0]));
        assert_null(strstr(o.message, bad[k][1]));
        assert_int_equal(o.backoff_ms, 0);
        baton_lambda_outcome_clear(&o);
        baton_lambda_free(w);
    }
}

static void test_transport(void **state)
{
    (void)state;
    baton_lambda_config c = {0};
    c.region = REGION;
    c.endpoint = "http://127.0.0.1:1/";
    c.access_key_id = ACCESS;
    c.secret_access_key = SECRET;
    baton_lambda *w = NULL;
    assert_int_equal(baton_lambda_new(&c, &w), BATON_OK);
    baton_lambda_outcome o;
    assert_int_equal(baton_lambda_invoke(w, "{\"functionName\":\"echo\"}",
                                         "{}", &o), BATON_OK);
    assert_int_equal(o.kind, BATON_LAMBDA_FAIL);
    assert_int_equal(o.backoff_ms, 1000); /* the default */
    assert_non_null(strstr(o.message, "invoking function echo: "));
    assert_null(strstr(o.message, SECRET));
    baton_lambda_outcome_clear(&o);
    baton_lambda_free(w);

    /* A timeout. */
    c.endpoint = endpoint;
    c.session_token = TOKEN;
    c.timeout_ms = 200;
    c.retry_backoff_ms = 50;
    size_t before = log_count();
    assert_int_equal(baton_lambda_new(&c, &w), BATON_OK);
    assert_int_equal(baton_lambda_invoke(w, "{\"functionName\":\"slow\"}",
                                         "{}", &o), BATON_OK);
    assert_int_equal(o.kind, BATON_LAMBDA_FAIL);
    assert_int_equal(o.backoff_ms, 50);
    assert_non_null(strstr(o.message, "timed out"));
    baton_lambda_outcome_clear(&o);
    baton_lambda_free(w);
    /* The stand-in logs the call when it ends, a second after it began:
     * wait for it, so that the next tests read only their own calls. */
    for (int i = 0; i < 100 && log_count() == before; i++)
        nanosleep(&(struct timespec){0, 50000000}, NULL);
    assert_int_equal(log_count(), before + 1);
}

static void expect_bad_config(const baton_lambda_config *c, const char *part)
{
    baton_lambda *w = NULL;
    assert_int_equal(baton_lambda_new(c, &w), BATON_EINVAL);
    assert_non_null(w);
    const char *msg = baton_lambda_errmsg(w);
    if (!strstr(msg, part))
        fprintf(stderr, "message [%s] lacks [%s]\n", msg, part);
    assert_non_null(strstr(msg, part));
    assert_null(strstr(msg, SECRET));
    assert_null(strstr(msg, TOKEN));
    baton_lambda_free(w);
}

static void test_bad_config(void **state)
{
    (void)state;
    baton_lambda_config c = {0};
    expect_bad_config(NULL, "no AWS region");
    c.secret_access_key = SECRET;
    c.session_token = TOKEN;
    expect_bad_config(&c, "no AWS region");
    c.region = REGION;
    expect_bad_config(&c, "no AWS credentials");
    c.access_key_id = ACCESS;
    c.endpoint = "ftp://example.com";
    expect_bad_config(&c, "bad Lambda endpoint");
    c.endpoint = NULL;
    c.region = "eu:west";
    expect_bad_config(&c, "bad AWS region");
    /* From the environment. */
    setenv("AWS_REGION", REGION, 1);
    setenv("AWS_ACCESS_KEY_ID", ACCESS, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    baton_lambda *w = NULL;
    assert_int_equal(baton_lambda_new(NULL, &w), BATON_OK);
    assert_string_equal(baton_lambda_errmsg(w), "");
    baton_lambda_free(w);
    unsetenv("AWS_REGION");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(baton_lambda_new(NULL, NULL), BATON_EINVAL);
}

/* ------------------------------------------------------------------ */
/* Through the durable host                                            */
/* ------------------------------------------------------------------ */

typedef struct store {
    char uri[512];
    baton_host *h;
} store;

static void store_open(store *s, const char *model_path, const char *name)
{
    assert_int_equal(store_fresh("sqlite", s->uri, sizeof s->uri), 0);
    int rc = baton_host_open(s->uri, &s->h);
    if (rc)
        fprintf(stderr, "open: %s\n", baton_host_errmsg(s->h));
    assert_int_equal(rc, BATON_OK);
    size_t len;
    char *xml = store_read_file(model_path, &len);
    assert_non_null(xml);
    rc = baton_host_deploy(s->h, xml, len, name, NULL);
    if (rc)
        fprintf(stderr, "deploy %s: %s\n", name, baton_host_errmsg(s->h));
    assert_int_equal(rc, BATON_OK);
    free(xml);
    assert_int_equal(baton_host_register(s->h, "lambda",
                                         baton_lambda_host_handler, L),
                     BATON_OK);
}

static void store_close(store *s)
{
    char path[600];
    baton_host_close(s->h);
    remove(s->uri + 7);
    snprintf(path, sizeof path, "%s-wal", s->uri + 7);
    remove(path);
    snprintf(path, sizeof path, "%s-shm", s->uri + 7);
    remove(path);
}

/* Runs the worker until idle and returns the instance's state. */
static char *run_instance(store *s, uint64_t key, int concurrency)
{
    baton_host_worker_options o = {0};
    o.concurrency = concurrency;
    o.until_idle = 1;
    int rc = baton_host_worker_run(s->h, &o);
    if (rc)
        fprintf(stderr, "worker: %s\n", baton_host_errmsg(s->h));
    assert_int_equal(rc, BATON_OK);
    char *out = NULL;
    assert_int_equal(baton_host_instance(s->h, key, 0, &out), BATON_OK);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    const char *st = json_string_value(json_object_get(j, "state"));
    char *state = strdup(st ? st : "?");
    if (strcmp(state, "COMPLETED") != 0)
        fprintf(stderr, "instance: %s\n", out);
    baton_host_free(out);
    json_decref(j);
    return state;
}

static void test_host_parallel(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/lambda-parallel.bpmn",
             getenv("BATON_MODELS"));
    store s;
    store_open(&s, path, "lambda-parallel.bpmn");
    size_t from = log_count();
    uint64_t key = 0;
    assert_int_equal(baton_host_start(s.h, "lambda-parallel", "{}", 2, NULL,
                                      &key), BATON_OK);
    char *st = run_instance(&s, key, 4);
    assert_string_equal(st, "COMPLETED");
    free(st);
    json_t *calls = log_since(from);
    assert_int_equal(json_array_size(calls), 3);
    double max_start = 0, min_end = 1e300;
    size_t i;
    json_t *e;
    json_array_foreach(calls, i, e) {
        const char *fn = json_string_value(json_object_get(e, "function"));
        assert_non_null(fn);
        assert_int_equal(strncmp(fn, "slow-", 5), 0);
        assert_int_equal(json_integer_value(json_object_get(e, "status")),
                         200);
        double st0 = json_real_value(json_object_get(e, "start"));
        double en = json_real_value(json_object_get(e, "end"));
        if (st0 > max_start)
            max_start = st0;
        if (en < min_end)
            min_end = en;
    }
    /* All three started before any ended. */
    assert_true(max_start < min_end);
    json_decref(calls);
    store_close(&s);
}

static void test_seed_trip_booking(void **state)
{
    (void)state;
    static const struct {
        const char *vars;
        const char *calls;
    } paths[] = {
        {"{\"trip\": \"all booked\"}", "book-hotel book-car book-flight"},
        {"{\"failHotel\": true}", "book-hotel cancel-hotel"},
        {"{\"failCar\": true}",
         "book-hotel book-car cancel-car cancel-hotel"},
        {"{\"failFlight\": true}",
         "book-hotel book-car book-flight cancel-flight cancel-car "
         "cancel-hotel"},
    };
    char path[1024];
    snprintf(path, sizeof path,
             "%s/seed/trip-booking-saga-serverless__zeebe__aws__"
             "trip-booking.bpmn",
             getenv("BATON_CORPUS"));
    store s;
    store_open(&s, path, "trip-booking.bpmn");
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        size_t from = log_count();
        uint64_t key = 0;
        int rc = baton_host_start(s.h, "trip-booking", paths[p].vars,
                                  strlen(paths[p].vars), NULL, &key);
        if (rc)
            fprintf(stderr, "start: %s\n", baton_host_errmsg(s.h));
        assert_int_equal(rc, BATON_OK);
        char *st = run_instance(&s, key, 1);
        assert_string_equal(st, "COMPLETED");
        free(st);
        json_t *calls = log_since(from);
        char seen[512] = "";
        size_t i;
        json_t *e;
        json_array_foreach(calls, i, e) {
            const char *fn =
                json_string_value(json_object_get(e, "function"));
            const char *pre = "trip-booking-functions-dev-";
            assert_int_equal(strncmp(fn, pre, strlen(pre)), 0);
            assert_int_equal(
                json_integer_value(json_object_get(e, "status")), 200);
            /* The payload is {"body": "<the variables as JSON>"}. */
            json_t *body = json_loads(json_string_value(json_object_get(
                                          json_object_get(e, "payload"),
                                          "body")),
                                      0, NULL);
            assert_true(json_is_object(body));
            json_decref(body);
            if (*seen)
                strcat(seen, " ");
            strcat(seen, fn + strlen(pre));
        }
        if (strcmp(seen, paths[p].calls) != 0)
            fprintf(stderr, "path %zu: called [%s]\n", p, seen);
        assert_string_equal(seen, paths[p].calls);
        json_decref(calls);
    }
    store_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_invoke_results),
        cmocka_unit_test(test_invoke_errors),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_transport),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_host_parallel),
        cmocka_unit_test(test_seed_trip_booking),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
