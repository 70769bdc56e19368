/* tables.c: the traces: (domain, address) -> (size, traceback), sharded, plus current and peak. */
#include "capture.h"

#include <string.h>

/*
 * No global lock: a global mutex made Swift allocation-heavy code 3x slower. Each domain's table
 * is split by address into shards, each a small open-addressing table (linear probing,
 * backward-shift deletion, at most 3/4 full) with its own spinlock, grown by mmap and rehash.
 * Domain 0, the heap, has 4096 shards; other domains (track/untrack) have 8. A thread's live
 * blocks span many 64 KiB regions (below), each region one shard: with 256 shards two
 * allocating threads shared several shards at any time, and every operation writes its shard's
 * lock line (measured: binary-trees on two threads at nframe 1, 5.23x -> 3.86x with 4096).
 * Shards are 64 bytes of .bss until used; their tables are mapped on first use, a page at
 * least, so live blocks spread thinly over many regions cost up to a page a region.
 *
 * A slot is 16 bytes: the address, and the size (40 bits) with the traceback id (24 bits), so a
 * live block costs 21 to 43 bytes of table (about 28 on average). A block of 1 TiB or more
 * cannot be traced: the hooks refuse it as malloc would refuse it on any real machine.
 */

#define TM_HEAP_SHARDS 4096u
#define TM_DOMAIN_SHARDS 8u
#define TM_MIN_SLOTS 256u /* one page */

struct tm_trace_slot {
    uintptr_t address;
    uint64_t value; /* tm_packed_trace(size, traceback); 0 marks an empty slot */
};

struct tm_shard {
    /* Guards everything below and the current/peak updates of the traces it holds. */
    tm_spinlock lock;
    uint32_t count;
    uint32_t mask; /* slots - 1, or 0 before the first trace */
    struct tm_trace_slot *slots;
} __attribute__((aligned(64))); /* one cache line each: shards do not share lines */

struct tm_table {
    uint32_t domain;
    uint32_t shard_count; /* a power of two: a shard is picked with a mask, not a division */
    struct tm_shard *shards;
};
_Static_assert((TM_HEAP_SHARDS & (TM_HEAP_SHARDS - 1)) == 0, "a power of two");
_Static_assert((TM_DOMAIN_SHARDS & (TM_DOMAIN_SHARDS - 1)) == 0, "a power of two");

static struct tm_shard heap_shards[TM_HEAP_SHARDS];
static struct tm_table heap = {0, TM_HEAP_SHARDS, heap_shards};

/* The tables of domains other than 0, created by their first track and never freed (so a
   pointer read under the lock stays usable after it). */
static struct {
    tm_spinlock lock; /* guards the array; never held while a shard lock is taken */
    size_t count, capacity;
    struct tm_table **tables;
} domains;

/* Where an address lives. Blocks that malloc hands out one after another lie close together,
   and land close together in the table, which keeps a table of millions of blocks mostly in
   cache (measured: a hash that scattered them made add and remove a cache miss each). The
   address space is cut into 64 KiB regions; a region's hash picks its shard, and a start in
   that shard from which its blocks take slots in address order. Hashing the region (not using
   it modulo the shard count) matters: glibc gives each thread an arena aligned to 64 MiB, so
   two threads' blocks at the same offsets would otherwise share shards and fight for them
   (measured: two allocating threads ran 2x slower). */
#define TM_REGION_BITS 16

static uint64_t region_hash(uintptr_t address) {
    uint64_t region = address >> TM_REGION_BITS;
    region ^= region >> 33;
    region *= 0xff51afd7ed558ccdu;
    region ^= region >> 33;
    return region;
}

static uint32_t home_slot(uintptr_t address, uint32_t mask) {
    uint64_t offset = (address >> 4) & ((1u << (TM_REGION_BITS - 4)) - 1);
    return (uint32_t)(region_hash(address) + offset) & mask;
}

static struct tm_shard *shard_of(const struct tm_table *table, uintptr_t address) {
    return &table->shards[(region_hash(address) >> 40) & (table->shard_count - 1)];
}

/* ---- one shard (the caller holds its lock) -------------------------------------------- */

/* The slot holding `address`, or the empty slot that ends its probe run (where it would go). */
static struct tm_trace_slot *probe_unlocked(const struct tm_shard *shard, uintptr_t address) {
    for (uint32_t i = home_slot(address, shard->mask);; i = (i + 1) & shard->mask) {
        struct tm_trace_slot *slot = &shard->slots[i];
        if (slot->value == 0 || slot->address == address) {
            return slot;
        }
    }
}

static struct tm_trace_slot *find_unlocked(const struct tm_shard *shard, uintptr_t address) {
    if (shard->slots == NULL) {
        return NULL;
    }
    struct tm_trace_slot *slot = probe_unlocked(shard, address);
    return slot->value != 0 ? slot : NULL;
}

static void place_unlocked(struct tm_trace_slot *slots, uint32_t mask, struct tm_trace_slot entry) {
    uint32_t i = home_slot(entry.address, mask);
    while (slots[i].value != 0) {
        i = (i + 1) & mask;
    }
    slots[i] = entry;
}

static bool grow_unlocked(struct tm_shard *shard) {
    uint32_t capacity = shard->slots ? (shard->mask + 1) * 2 : TM_MIN_SLOTS;
    struct tm_trace_slot *slots = tm_map(capacity * sizeof *slots);
    if (slots == NULL) {
        return false;
    }
    if (shard->slots) {
        for (uint32_t i = 0; i <= shard->mask; i++) {
            if (shard->slots[i].value != 0) {
                place_unlocked(slots, capacity - 1, shard->slots[i]);
            }
        }
        tm_unmap(shard->slots, (shard->mask + 1) * sizeof *slots);
    }
    shard->slots = slots;
    shard->mask = capacity - 1;
    return true;
}

static void erase_unlocked(struct tm_shard *shard, struct tm_trace_slot *slot) {
    uint32_t mask = shard->mask;
    uint32_t hole = (uint32_t)(slot - shard->slots);
    /* Backward shift: pull later entries of the probe run into the hole when their home slot
       does not lie between the hole and them, so no tombstones are needed. */
    for (uint32_t i = (hole + 1) & mask; shard->slots[i].value != 0; i = (i + 1) & mask) {
        uint32_t home = home_slot(shard->slots[i].address, mask);
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            shard->slots[hole] = shard->slots[i];
            hole = i;
        }
    }
    shard->slots[hole] = (struct tm_trace_slot){0, 0};
    shard->count -= 1;
}

static void clear_unlocked(struct tm_shard *shard) {
    if (shard->slots) {
        tm_unmap(shard->slots, (shard->mask + 1) * sizeof *shard->slots);
    }
    shard->slots = NULL;
    shard->mask = 0;
    shard->count = 0;
}

/* ---- tables ---------------------------------------------------------------------------- */

static struct tm_table *other_domain_table(uint32_t domain, bool create);

/* The heap's table without a call: every hook's domain. */
static inline struct tm_table *domain_table(uint32_t domain, bool create) {
    return TM_LIKELY(domain == 0) ? &heap : other_domain_table(domain, create);
}

static __attribute__((noinline)) struct tm_table *other_domain_table(uint32_t domain, bool create) {
    struct tm_table *found = NULL;
    tm_lock(&domains.lock);
    for (size_t i = 0; i < domains.count && !found; i++) {
        if (domains.tables[i]->domain == domain) {
            found = domains.tables[i];
        }
    }
    if (!found && create) {
        if (domains.count == domains.capacity) {
            size_t capacity = domains.capacity ? domains.capacity * 2 : 64;
            struct tm_table **tables = tm_map(capacity * sizeof *tables);
            if (tables) {
                if (domains.count) {
                    memcpy(tables, domains.tables, domains.count * sizeof *tables);
                }
                tm_unmap(domains.tables, domains.capacity * sizeof *tables);
                domains.tables = tables;
                domains.capacity = capacity;
            }
        }
        struct tm_table *table = domains.count < domains.capacity
            ? tm_map(64 + TM_DOMAIN_SHARDS * sizeof(struct tm_shard)) : NULL;
        if (table) {
            /* The shards follow the header, aligned by the page and the header's size. */
            _Static_assert(sizeof(struct tm_table) <= 64, "the header fits in one cache line");
            *table = (struct tm_table){domain, TM_DOMAIN_SHARDS, (struct tm_shard *)((char *)table + 64)};
            domains.tables[domains.count++] = table;
            found = table;
        }
    }
    tm_unlock(&domains.lock);
    return found;
}

/* The table of the i-th other domain, or NULL past the end. */
static struct tm_table *other_table(size_t index) {
    tm_lock(&domains.lock);
    struct tm_table *table = index < domains.count ? domains.tables[index] : NULL;
    tm_unlock(&domains.lock);
    return table;
}

enum tm_add_result tm_trace_add(uint32_t domain, uintptr_t address, uint64_t size, uint32_t traceback) {
    if (size > TM_MAX_SIZE) {
        return TM_ADD_NO_MEMORY;
    }
    struct tm_table *table = domain_table(domain, true);
    if (table == NULL) {
        return TM_ADD_NO_MEMORY;
    }
    struct tm_shard *shard = shard_of(table, address);
    tm_lock(&shard->lock);
    /* Re-checked under the lock: stop() clears under every lock after turning tracing off,
       so a hook that passed the first check before stop() cannot leave a trace behind. */
    if (!atomic_load_explicit(&tm_state.tracing, memory_order_relaxed)) {
        tm_unlock(&shard->lock);
        return TM_ADD_NOT_TRACING;
    }
    if (shard->slots == NULL || (shard->count + 1) * 4 > (shard->mask + 1) * 3) {
        if (!grow_unlocked(shard)) {
            tm_unlock(&shard->lock);
            return TM_ADD_NO_MEMORY;
        }
    }
    uint64_t value = tm_packed_trace(size, traceback);
    uint64_t old_size = 0;
    struct tm_trace_slot *slot = probe_unlocked(shard, address);
    if (slot->value != 0) {
        old_size = tm_packed_size(slot->value);
    } else {
        slot->address = address;
        shard->count += 1;
    }
    slot->value = value;
    uint64_t current = atomic_fetch_add_explicit(&tm_state.current, size - old_size, memory_order_relaxed) + size - old_size;
    uint64_t peak = atomic_load_explicit(&tm_state.peak, memory_order_relaxed);
    while (current > peak
           && !atomic_compare_exchange_weak_explicit(&tm_state.peak, &peak, current, memory_order_relaxed, memory_order_relaxed)) {
    }
    tm_unlock(&shard->lock);
    return TM_ADD_DONE;
}

uint64_t tm_trace_remove(uint32_t domain, uintptr_t address) {
    /* Memory is about to go down: the moment to copy a grown peak, with this block. */
    if (TM_UNLIKELY(atomic_load_explicit(&tm_state.peak, memory_order_relaxed)
                    >= atomic_load_explicit(&tm_peak_observer.threshold, memory_order_relaxed))) {
        atomic_load_explicit(&tm_peak_observer.reached, memory_order_acquire)();
    }
    struct tm_table *table = domain_table(domain, false);
    if (table == NULL) {
        return 0;
    }
    struct tm_shard *shard = shard_of(table, address);
    tm_lock(&shard->lock);
    struct tm_trace_slot *slot = find_unlocked(shard, address);
    uint64_t removed = 0;
    if (slot) {
        removed = slot->value;
        erase_unlocked(shard, slot);
        atomic_fetch_sub_explicit(&tm_state.current, tm_packed_size(removed), memory_order_relaxed);
    }
    tm_unlock(&shard->lock);
    return removed;
}

uint32_t tm_trace_traceback(uint32_t domain, uintptr_t address) {
    struct tm_table *table = domain_table(domain, false);
    if (table == NULL) {
        return 0;
    }
    struct tm_shard *shard = shard_of(table, address);
    tm_lock(&shard->lock);
    struct tm_trace_slot *slot = find_unlocked(shard, address);
    uint32_t traceback = slot ? tm_packed_traceback(slot->value) : 0;
    tm_unlock(&shard->lock);
    return traceback;
}

/* Read by every traced free; never until an observer is set. */
struct tm_peak_observer tm_peak_observer = {.threshold = UINT64_MAX};

void tm_observe_peak(void (*reached)(void), uint64_t threshold) {
    atomic_store_explicit(&tm_peak_observer.reached, reached, memory_order_release);
    atomic_store_explicit(&tm_peak_observer.threshold, threshold, memory_order_release);
}

static void lock_table(struct tm_table *table) {
    for (uint32_t i = 0; i < table->shard_count; i++) {
        tm_lock(&table->shards[i].lock);
    }
}

static void unlock_table(struct tm_table *table) {
    for (uint32_t i = table->shard_count; i > 0; i--) {
        tm_unlock(&table->shards[i - 1].lock);
    }
}

/* Lock order: the domain list, then the heap's shards, then each other domain's shards in
   list order. Nothing else holds two of these locks. */
void tm_traces_lock_all(void) {
    tm_lock(&domains.lock);
    lock_table(&heap);
    for (size_t i = 0; i < domains.count; i++) {
        lock_table(domains.tables[i]);
    }
}

void tm_traces_unlock_all(void) {
    for (size_t i = domains.count; i > 0; i--) {
        unlock_table(domains.tables[i - 1]);
    }
    unlock_table(&heap);
    tm_unlock(&domains.lock);
}

void tm_traces_clear(void) {
    tm_traces_lock_all();
    for (uint32_t i = 0; i < heap.shard_count; i++) {
        clear_unlocked(&heap.shards[i]);
    }
    for (size_t d = 0; d < domains.count; d++) {
        for (uint32_t i = 0; i < domains.tables[d]->shard_count; i++) {
            clear_unlocked(&domains.tables[d]->shards[i]);
        }
    }
    atomic_store_explicit(&tm_state.current, 0, memory_order_relaxed);
    atomic_store_explicit(&tm_state.peak, 0, memory_order_relaxed);
    tm_traces_unlock_all();
}

static bool copy_table(struct tm_table *table, struct tm_buffer *out) {
    for (uint32_t s = 0; s < table->shard_count; s++) {
        struct tm_shard *shard = &table->shards[s];
        for (;;) {
            tm_lock(&shard->lock);
            size_t needed = shard->count * sizeof(tm_trace);
            if (out->capacity - out->size >= needed) {
                break;
            }
            tm_unlock(&shard->lock);
            /* Grown without the lock: mmap may take a while, and the count may change. */
            if (!tm_buffer_reserve(out, needed + needed / 4 + sizeof(tm_trace))) {
                return false;
            }
        }
        tm_trace *traces = (tm_trace *)(out->data + out->size);
        size_t count = 0;
        for (uint32_t i = 0; shard->slots && i <= shard->mask; i++) {
            uint64_t value = shard->slots[i].value;
            if (value != 0) {
                traces[count++] = (tm_trace){tm_packed_size(value), table->domain, tm_packed_traceback(value)};
            }
        }
        out->size += count * sizeof(tm_trace);
        tm_unlock(&shard->lock);
    }
    return true;
}

bool tm_traces_copy(struct tm_buffer *out) {
    if (!copy_table(&heap, out)) {
        return false;
    }
    struct tm_table *table;
    for (size_t i = 0; (table = other_table(i)) != NULL; i++) {
        if (!copy_table(table, out)) {
            return false;
        }
    }
    return true;
}
