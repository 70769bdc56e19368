/* CWorkloads: the allocation loops of the benchmarks that must be plain C calls to malloc. */
#ifndef CWORKLOADS_H
#define CWORKLOADS_H

#include <stddef.h>
#include <stdint.h>

/* The number of distinct call sites cw_allocate_from_sites can cycle through. */
#define CW_MAX_CALL_SITES 10000

/* Workload (a): `iterations` times malloc(size) then free; returns a checksum of the addresses,
   which also keeps the optimizer from deleting the pairs. */
uint64_t cw_malloc_free_loop(uint64_t iterations, size_t size);

/* Fills blocks[0..<count] with malloc(size), block i from call site i % sites (sites in
   1...CW_MAX_CALL_SITES), each site its own function so that the most recent frames of the blocks
   are `sites` distinct return addresses. Returns the number of blocks allocated before malloc
   failed (count on success). */
size_t cw_allocate_from_sites(void **blocks, size_t count, size_t size, size_t sites);

/* Frees blocks[0..<count]. */
void cw_free_blocks(void **blocks, size_t count);

#endif
