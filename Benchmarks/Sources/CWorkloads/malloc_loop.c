/* malloc_loop.c: workload (a), the cheapest allocation there is, so the hook's cost stands alone. */
#include "CWorkloads.h"

#include <stdlib.h>

uint64_t cw_malloc_free_loop(uint64_t iterations, size_t size) {
    uint64_t checksum = 0;
    for (uint64_t i = 0; i < iterations; i++) {
        char *block = malloc(size);
        /* The empty asm makes the block escape; without it clang deletes the malloc/free pair. */
        __asm__ volatile("" : : "r"(block) : "memory");
        checksum += ((uintptr_t)block >> 4) & 0xff;
        free(block);
    }
    return checksum;
}
