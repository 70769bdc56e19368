/* api.c: start/stop and the rest of the C API. */
#include "CTraceMalloc.h"
