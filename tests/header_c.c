/* The public header compiles as strict C99 with every warning an error. */
#include "baton.h"

int main(void)
{
    return baton_version_number() == BATON_VERSION_NUMBER ? 0 : 1;
}
