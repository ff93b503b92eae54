/* The public headers compile as strict C99 with every warning an error. */
#include "baton.h"
#include "baton_host.h"
#include "baton_lambda.h"

int main(void)
{
    return baton_version_number() == BATON_VERSION_NUMBER &&
                   baton_host_schema_version() > 0
               ? 0
               : 1;
}
