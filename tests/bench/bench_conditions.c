/* Conditions on the hot path: instances per second of a model whose
 * exclusive gateway evaluates three typical FEEL conditions (a number
 * compared, a boolean, a string, a path into a context) before it takes
 * a flow. Uses the public API only, so the same program measures any
 * version of the library. Prints figures; asserts only what each
 * instance does (it ends at the flow the variables choose).
 *
 *   bench_conditions [--quick] MODEL */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "baton.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = 200000;
    const char *model = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            n = 20000;
        else
            model = argv[i];
    }
    if (!model) {
        fprintf(stderr, "usage: bench_conditions [--quick] MODEL\n");
        return 2;
    }
    baton_engine *e;
    baton_model *m;
    if (baton_engine_new(NULL, NULL, &e) ||
        baton_model_load_file(e, model, &m)) {
        fprintf(stderr, "bench_conditions: %s\n", baton_engine_errmsg(e));
        return 1;
    }
    if (baton_engine_deploy(e, m, NULL, NULL)) {
        fprintf(stderr, "bench_conditions: %s\n", baton_engine_errmsg(e));
        return 1;
    }
    baton_model_free(m);
    const char *vars = "{\"amount\":500,\"approved\":true,\"status\":\"open\","
                       "\"order\":{\"total\":300,\"id\":7}}";
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        baton_instance *in;
        if (baton_instance_create(e, NULL, vars, BATON_NUL, &in) ||
            baton_instance_run(in, 0) != BATON_STEP_ENDED) {
            fprintf(stderr, "bench_conditions: instance %ld did not end: "
                            "%s\n", i, baton_engine_errmsg(e));
            return 1;
        }
        baton_instance_free(in);
    }
    double s = now_s() - t0;
    printf("conditions: %ld instances, 3 conditions each, %.0f instances/s, "
           "%.0f ns per instance\n", n, (double)n / s, s / (double)n * 1e9);
    printf("{\"instances\": %ld, \"per_second\": %.0f}\n", n, (double)n / s);
    baton_engine_free(e);
    return 0;
}
