// The public headers compile as C++ with every warning an error.
#include "baton.h"
#include "baton_host.h"
#include "baton_lambda.h"

int main()
{
    return baton_version_number() == BATON_VERSION_NUMBER ? 0 : 1;
}
