/* call_sites.c: CW_MAX_CALL_SITES functions that each call malloc from their own address. */
#include "CWorkloads.h"

#include <stdio.h>
#include <stdlib.h>

/* noinline keeps each site a function of its own and disable_tail_calls keeps its call to malloc
   a call: a `jmp malloc` would leave the caller of the site as the most recent frame. */
#define CW_SITE(n)                                                                  \
    __attribute__((noinline, disable_tail_calls)) static void *site_##n(size_t size) { \
        return malloc(size);                                                        \
    }
#define CW_SITE_REF(n) site_##n,

#define CW_10(m, p) m(p##0) m(p##1) m(p##2) m(p##3) m(p##4) m(p##5) m(p##6) m(p##7) m(p##8) m(p##9)
#define CW_100(m, p)                                                                      \
    CW_10(m, p##0) CW_10(m, p##1) CW_10(m, p##2) CW_10(m, p##3) CW_10(m, p##4) CW_10(m, p##5) \
        CW_10(m, p##6) CW_10(m, p##7) CW_10(m, p##8) CW_10(m, p##9)
#define CW_1000(m, p)                                                                          \
    CW_100(m, p##0) CW_100(m, p##1) CW_100(m, p##2) CW_100(m, p##3) CW_100(m, p##4)             \
        CW_100(m, p##5) CW_100(m, p##6) CW_100(m, p##7) CW_100(m, p##8) CW_100(m, p##9)
#define CW_10000(m)                                                                              \
    CW_1000(m, 0) CW_1000(m, 1) CW_1000(m, 2) CW_1000(m, 3) CW_1000(m, 4) CW_1000(m, 5)          \
        CW_1000(m, 6) CW_1000(m, 7) CW_1000(m, 8) CW_1000(m, 9)

CW_10000(CW_SITE)

static void *(*const all_sites[CW_MAX_CALL_SITES])(size_t) = {CW_10000(CW_SITE_REF)};

size_t cw_allocate_from_sites(void **blocks, size_t count, size_t size, size_t sites) {
    if (sites < 1 || sites > CW_MAX_CALL_SITES) {
        fprintf(stderr, "cw_allocate_from_sites: sites must be in 1...%d, not %zu\n",
                CW_MAX_CALL_SITES, sites);
        abort();
    }
    for (size_t i = 0; i < count; i++) {
        blocks[i] = all_sites[i % sites](size);
        if (blocks[i] == NULL) return i;
    }
    return count;
}

void cw_free_blocks(void **blocks, size_t count) {
    for (size_t i = 0; i < count; i++) free(blocks[i]);
}
