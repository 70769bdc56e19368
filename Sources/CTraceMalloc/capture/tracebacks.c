/* tracebacks.c: interning: each unique traceback stored once, found again without a lock. */
#include "capture.h"

#include <string.h>

/*
 * Records live in an append-only arena and are never freed, so an id (and a pointer to its
 * record) stays valid for the life of the process; clear_traces and stop keep them. That is
 * what lets a hook search the set without a lock: nothing it may be reading can be freed or
 * changed. The memory is bounded by the number of distinct stacks the program allocates from.
 *
 * ids index a two-level directory (4096 pages of 4096 record pointers, pages mapped on demand),
 * which is also why an id fits in the 24 bits a trace keeps for it.
 */

#define TM_PAGE_BITS 12
#define TM_PAGE_SIZE (1u << TM_PAGE_BITS)
#define TM_ARENA_CHUNK (256u * 1024u)

/* An open-addressing set of records, at most half full. Replaced (never resized in place) when
   it fills; old sets are left mapped because a lock-free reader may still be probing one.
   A slot packs the record's address (16-byte aligned, below 2^47: 43 bits) with 21 more bits of
   its hash, so that a probe rejects other records without reading them and reaches a match
   without going through the id directory (measured: binary-trees at nframe 25 interns about
   130,000 distinct tracebacks, and the slot, the directory page and the record were each a
   cache miss). 0 marks an empty slot. */
#define TM_SLOT_ADDRESS_BITS 43
#define TM_SLOT_ADDRESS_MASK ((UINT64_C(1) << TM_SLOT_ADDRESS_BITS) - 1)

struct tm_id_set {
    size_t mapped;
    uint32_t mask;
    _Atomic uint64_t slots[];
};

static uint64_t tag_of(uint32_t hash) {
    return (uint64_t)(hash >> (32 - (64 - TM_SLOT_ADDRESS_BITS))) << TM_SLOT_ADDRESS_BITS;
}

static uint64_t slot_for(const struct tm_interned_traceback *record) {
    return tag_of(record->hash) | (uintptr_t)record >> 4;
}

static const struct tm_interned_traceback *record_in(uint64_t slot) {
    return (const struct tm_interned_traceback *)(uintptr_t)((slot & TM_SLOT_ADDRESS_MASK) << 4);
}

static struct {
    /* Taken to add a record (after a lock-free search missed); never by a search. */
    tm_spinlock lock;
    _Atomic(struct tm_id_set *) set;
    _Atomic(const struct tm_interned_traceback **) pages[TM_PAGE_SIZE];
    _Atomic uint32_t count; /* ids handed out: 1...count */
    unsigned char *arena, *arena_end; /* guarded by lock */
} tm_tracebacks;

/* Two independent lanes, so the multiplications of neighbouring frames overlap. */
static uint32_t hash_capture(const struct tm_capture *capture) {
    const uint64_t multiplier = 0xff51afd7ed558ccdu;
    uint64_t even = 0x9e3779b97f4a7c15u ^ capture->count;
    uint64_t odd = 0xc4ceb9fe1a85ec53u ^ capture->total;
    uint32_t i = 0;
    for (; i + 1 < capture->count; i += 2) {
        even = (even ^ capture->frames[i]) * multiplier;
        odd = (odd ^ capture->frames[i + 1]) * multiplier;
        even ^= even >> 29;
        odd ^= odd >> 29;
    }
    if (i < capture->count) {
        even = (even ^ capture->frames[i]) * multiplier;
    }
    uint64_t hash = (even ^ (odd << 31 | odd >> 33)) * multiplier;
    return (uint32_t)(hash >> 32);
}

const struct tm_interned_traceback *tm_interned(uint32_t id) {
    if (id == 0 || id > atomic_load_explicit(&tm_tracebacks.count, memory_order_acquire)) {
        return NULL;
    }
    const struct tm_interned_traceback **page = atomic_load_explicit(&tm_tracebacks.pages[id >> TM_PAGE_BITS], memory_order_acquire);
    return page ? page[id & (TM_PAGE_SIZE - 1)] : NULL;
}

uint32_t tm_traceback_count(void) {
    return atomic_load_explicit(&tm_tracebacks.count, memory_order_acquire);
}

static bool equals(const struct tm_interned_traceback *record, uint32_t hash, const struct tm_capture *capture) {
    if (record->hash != hash || record->count != capture->count || record->total != capture->total) {
        return false;
    }
    return memcmp(record->frames, capture->frames, capture->count * sizeof(uintptr_t)) == 0;
}

static uint32_t find(const struct tm_id_set *set, uint32_t hash, const struct tm_capture *capture) {
    if (set == NULL) {
        return 0;
    }
    uint64_t tag = tag_of(hash);
    for (uint32_t i = hash & set->mask;; i = (i + 1) & set->mask) {
        uint64_t slot = atomic_load_explicit(&set->slots[i], memory_order_acquire);
        if (slot == 0) {
            return 0;
        }
        if ((slot & ~TM_SLOT_ADDRESS_MASK) == tag && equals(record_in(slot), hash, capture)) {
            return record_in(slot)->id;
        }
    }
}

static void insert_unlocked(struct tm_id_set *set, const struct tm_interned_traceback *record) {
    uint32_t i = record->hash & set->mask;
    while (atomic_load_explicit(&set->slots[i], memory_order_relaxed) != 0) {
        i = (i + 1) & set->mask;
    }
    atomic_store_explicit(&set->slots[i], slot_for(record), memory_order_release);
}

/* Makes room for one more id, replacing the set with a twice larger one when half full. */
static struct tm_id_set *reserve_unlocked(uint32_t count) {
    struct tm_id_set *set = atomic_load_explicit(&tm_tracebacks.set, memory_order_relaxed);
    if (set && (uint64_t)(count + 1) * 2 <= (uint64_t)set->mask + 1) {
        return set;
    }
    uint32_t capacity = set ? (set->mask + 1) * 2 : 4096;
    size_t size = sizeof(struct tm_id_set) + capacity * sizeof(uint64_t);
    struct tm_id_set *grown = tm_map(size);
    if (grown == NULL) {
        return NULL;
    }
    grown->mapped = size;
    grown->mask = capacity - 1;
    for (uint32_t id = 1; id <= count; id++) {
        insert_unlocked(grown, tm_interned(id));
    }
    atomic_store_explicit(&tm_tracebacks.set, grown, memory_order_release);
    return grown;
}

static void *arena_allocate_unlocked(size_t size) {
    size = (size + 15) & ~(size_t)15;
    if ((size_t)(tm_tracebacks.arena_end - tm_tracebacks.arena) < size) {
        size_t chunk = size > TM_ARENA_CHUNK ? size : TM_ARENA_CHUNK;
        unsigned char *memory = tm_map(chunk);
        if (memory == NULL) {
            return NULL;
        }
        tm_tracebacks.arena = memory;
        tm_tracebacks.arena_end = memory + chunk;
    }
    void *allocation = tm_tracebacks.arena;
    tm_tracebacks.arena += size;
    return allocation;
}

static uint32_t add_unlocked(uint32_t hash, const struct tm_capture *capture) {
    uint32_t count = atomic_load_explicit(&tm_tracebacks.count, memory_order_relaxed);
    uint32_t id = count + 1;
    if (id > TM_MAX_TRACEBACKS) {
        return 0;
    }
    struct tm_id_set *set = reserve_unlocked(count);
    _Atomic(const struct tm_interned_traceback **) *slot = &tm_tracebacks.pages[id >> TM_PAGE_BITS];
    const struct tm_interned_traceback **page = atomic_load_explicit(slot, memory_order_relaxed);
    if (page == NULL && set != NULL) {
        page = tm_map(TM_PAGE_SIZE * sizeof *page);
        atomic_store_explicit(slot, page, memory_order_release);
    }
    struct tm_interned_traceback *record = set && page ? arena_allocate_unlocked(sizeof *record + capture->count * sizeof(uintptr_t)) : NULL;
    if (record == NULL) {
        return 0;
    }
    record->hash = hash;
    record->count = capture->count;
    record->total = capture->total;
    record->id = id;
    memcpy(record->frames, capture->frames, capture->count * sizeof(uintptr_t));
    page[id & (TM_PAGE_SIZE - 1)] = record;
    /* Publish the record before the id: a reader that finds the id finds the record. */
    atomic_store_explicit(&tm_tracebacks.count, id, memory_order_release);
    insert_unlocked(set, record);
    return id;
}

uint32_t tm_intern(const struct tm_capture *capture) {
    uint32_t hash = hash_capture(capture);
    uint32_t id = find(atomic_load_explicit(&tm_tracebacks.set, memory_order_acquire), hash, capture);
    if (TM_LIKELY(id != 0)) {
        return id;
    }
    tm_lock(&tm_tracebacks.lock);
    id = find(atomic_load_explicit(&tm_tracebacks.set, memory_order_relaxed), hash, capture);
    if (id == 0) {
        id = add_unlocked(hash, capture);
    }
    tm_unlock(&tm_tracebacks.lock);
    return id;
}

tm_traceback tm_traceback_get(uint32_t id) {
    const struct tm_interned_traceback *record = tm_interned(id);
    if (record == NULL) {
        return (tm_traceback){NULL, 0, 0};
    }
    /* The depth is capped at TM_MAX_NFRAME but reported never below what is stored (the public
       header's rule): a stack deeper than the cap may store a few runtime frames beyond it.
       Applied here, not in the hook, where it cost 5 instructions an allocation (callgrind). */
    uint32_t total = record->total > record->count ? record->total : record->count;
    return (tm_traceback){record->frames, record->count, total};
}

void tm_tracebacks_lock(void) {
    tm_lock(&tm_tracebacks.lock);
}

void tm_tracebacks_unlock(void) {
    tm_unlock(&tm_tracebacks.lock);
}
