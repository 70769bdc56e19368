/* capture.h: what the capture's files share: the state, the thread guard, spinlocks, mapped memory, and each file's functions. */
#ifndef CTRACEMALLOC_CAPTURE_H
#define CTRACEMALLOC_CAPTURE_H

#include "CTraceMalloc.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TM_HIDDEN __attribute__((visibility("hidden")))
#define TM_LIKELY(x) __builtin_expect(!!(x), 1)
#define TM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* A trace packs its size into 40 bits and its traceback id into 24 bits (16-byte table slots):
   size << 24 | traceback, 0 for no trace (ids start at 1). */
#define TM_SIZE_BITS 40
#define TM_MAX_SIZE ((UINT64_C(1) << TM_SIZE_BITS) - 1)
#define TM_MAX_TRACEBACKS ((UINT32_C(1) << 24) - 1)

static inline uint64_t tm_packed_trace(uint64_t size, uint32_t traceback) {
    return size << 24 | traceback;
}
static inline uint64_t tm_packed_size(uint64_t packed) {
    return packed >> 24;
}
static inline uint32_t tm_packed_traceback(uint64_t packed) {
    return (uint32_t)(packed & TM_MAX_TRACEBACKS);
}

/* ---- process-wide state ------------------------------------------------------------------ */

/* The one state struct. Hooks read `tracing` with one relaxed load: when it is off they only
   forward. `nframe` is written by tm_start before `tracing` is set (release) and is read by
   hooks that saw `tracing` set. current/peak are atomics updated under a shard lock, so that a
   clear (which holds every shard lock) resets them together with the tables. current and peak
   have a cache line of their own: every hook of every thread reads `tracing`, and sharing its
   line with counters that every traced allocation writes made each hook a cache miss on the
   other core (measured: binary-trees on two threads, nframe 1: 5.98x -> 5.45x CPU). */
struct tm_state {
    _Atomic int tracing;
    _Atomic int nframe;
    _Atomic uint64_t mapped; /* bytes the tracer has mmapped: get_tracemalloc_memory */
    _Alignas(64) _Atomic uint64_t current;
    _Atomic uint64_t peak;
} __attribute__((aligned(64)));
extern struct tm_state tm_state TM_HIDDEN;

/* ---- per-thread state ------------------------------------------------------------------ */

/* An image's compiled unwind table (unwind_tables.c): rows sorted by address, each the rule
   from its address on to the next row's. pcs[] (offsets from `base`) is searched; rules[] lies
   beside it. blocks[b] counts the rows that start at or before offset b << TM_UNWIND_BLOCK_BITS,
   so a look-up searches only the rows of one 256-byte block (ORC's lookup table). Immutable
   once published, never unmapped. */
enum tm_unwind_kind {
    TM_UNWIND_NONE,        /* no function covers the address */
    TM_UNWIND_UNSUPPORTED, /* a rule the rows cannot express: libgcc unwinds such a frame */
    TM_UNWIND_CFA_RSP,     /* CFA = rsp + cfa */
    TM_UNWIND_CFA_RBP,     /* CFA = rbp + cfa */
    TM_UNWIND_CFA_AT_RBP,  /* CFA = *(rbp + cfa): a stack gcc realigned */
    TM_UNWIND_SIGNAL,      /* a signal trampoline: the interrupted registers are in the ucontext at rsp */
    TM_UNWIND_END,         /* the return address is undefined: the stack's end (_start, clone) */
};
enum tm_rbp_rule { TM_RBP_SAME, TM_RBP_AT_CFA, TM_RBP_AT_RBP }; /* the caller's rbp: [CFA or rbp + rbp_offset] */
struct tm_unwind_rule {
    int32_t cfa;
    int16_t rbp_offset;
    uint8_t kind; /* enum tm_unwind_kind */
    uint8_t rbp;  /* enum tm_rbp_rule; the return address is always at CFA - 8 */
};
#define TM_UNWIND_BLOCK_BITS 8
struct tm_unwind_table {
    size_t mapped;
    uintptr_t base;
    uint32_t row_count, block_count;
    const uint32_t *pcs;
    const struct tm_unwind_rule *rules;
    const uint32_t *blocks;
};

/* An executable segment of an image, its TM_IMAGE_* flags, and the image's unwind table (NULL
   for an image that keeps frame pointers or has no .eh_frame_hdr): what a return address must
   lie in. (The image table is in images.c.) */
struct tm_range {
    uintptr_t start, end;
    uint32_t flags;
    const struct tm_unwind_table *unwind;
};

/* Per-thread state, in the initial-exec TLS model: the general-dynamic model may call malloc
   (__tls_get_addr allocates a thread's dynamic TLS block lazily) and so re-enter a hook.
   `busy` is set before a hook does anything besides forwarding and before any tracer lock is
   taken: a hook re-entered on the same thread (the unwinder, dl_iterate_phdr and
   pthread_getattr_np may allocate) then only forwards, so no spinlock can self-deadlock.
   `ignore` counts tm_thread_ignore_begin() calls: allocations are untraced, frees still remove
   traces. `stack_low` and `stack_top` cache the thread's stack bounds for the walk. `changes[k]`
   is the range the thread's last walk entered at its k-th change of image, valid while
   `changes_index` is the published image index (unwind.c). */
#define TM_CHANGE_MEMO 4
struct tm_thread {
    uint8_t busy;
    uint32_t ignore;
    uintptr_t stack_low, stack_top;
    const struct tm_image_index *changes_index;
    const struct tm_range *changes[TM_CHANGE_MEMO];
};
extern __thread struct tm_thread tm_thread __attribute__((tls_model("initial-exec"))) TM_HIDDEN;

/* ---- spinlocks ---------------------------------------------------------------------------- */

/* Test-and-test-and-set with a yield. Held only around table work (and mmap when a table grows),
   never across anything that can call malloc. */
typedef struct { _Atomic uint32_t held; } tm_spinlock;

static inline void tm_lock(tm_spinlock *lock) {
    unsigned spins = 0;
    while (atomic_exchange_explicit(&lock->held, 1, memory_order_acquire)) {
        while (atomic_load_explicit(&lock->held, memory_order_relaxed)) {
            if (++spins < 64) {
                __builtin_ia32_pause();
            } else {
                sched_yield();
            }
        }
    }
}

static inline bool tm_trylock(tm_spinlock *lock) {
    return !atomic_load_explicit(&lock->held, memory_order_relaxed)
        && !atomic_exchange_explicit(&lock->held, 1, memory_order_acquire);
}

static inline void tm_unlock(tm_spinlock *lock) {
    atomic_store_explicit(&lock->held, 0, memory_order_release);
}

/* ---- memory (memory.c) ------------------------------------------------------------------- */

/* Zeroed pages straight from mmap, counted in tm_state.mapped; NULL when the kernel refuses. */
void *tm_map(size_t size) TM_HIDDEN;
void tm_unmap(void *memory, size_t size) TM_HIDDEN;

/* A growable array in mapped memory. */
struct tm_buffer {
    unsigned char *data;
    size_t size;     /* bytes used */
    size_t capacity; /* bytes mapped */
};
/* Makes room for `bytes` more bytes; false when the kernel refuses. */
bool tm_buffer_reserve(struct tm_buffer *buffer, size_t bytes) TM_HIDDEN;
void tm_buffer_free(struct tm_buffer *buffer) TM_HIDDEN;

/* ---- images (images.c) ------------------------------------------------------------------- */

enum {
    TM_IMAGE_RUNTIME = 1u << 0,       /* frames here are dropped at the top of a traceback */
    TM_IMAGE_FRAME_POINTERS = 1u << 1 /* the frame-pointer chain can be followed through it */
};

/* A direct-mapped index of the executable ranges by 2 MiB granule, published with each image
   table: a slot holds the granule's number + 1 (bits 32-63) and up to two ranges (indices + 1,
   bits 0-15 and 16-31) that meet it. A granule that shares its slot with another, or meets more
   than two ranges, is left out and found by the binary search. Measured: a 4-entry per-thread
   cache of ranges thrashed on Foundation's stacks (ten changes of image an allocation in the JSON
   workload; 680 instructions an allocation in look-ups). */
#define TM_GRANULE_BITS 21
#define TM_INDEX_SLOTS 8192u
struct tm_image_index {
    const struct tm_range *ranges;
    uint64_t slots[TM_INDEX_SLOTS];
};
extern _Atomic(const struct tm_image_index *) tm_image_index TM_HIDDEN;
/* The executable range (with its image's TM_IMAGE_* flags) that holds `address`, by binary
   search, refreshing the table once if a library was loaded since it was built; NULL for an
   address in no known image. Tables are never unmapped, so the range stays readable. The walk
   asks the index first (unwind.c). */
const struct tm_range *tm_image_range_search(uintptr_t address) TM_HIDDEN;

/* The TM_IMAGE_* flags of a range, -1 for none. */
static inline int tm_range_flags(const struct tm_range *range) {
    return range ? (int)range->flags : -1;
}

/* What an image's .eh_frame says: its compiled table (NULL when it keeps frame pointers, has no
   .eh_frame_hdr, or memory cannot be mapped) and whether it keeps frame pointers. Rows are kept
   as offsets from `text_start`, the image's first executable address. Allocates nothing. */
struct tm_image_cfi {
    const struct tm_unwind_table *table;
    bool keeps_frame_pointers;
};
struct dl_phdr_info;
struct tm_image_cfi tm_compile_unwind_table(const struct dl_phdr_info *info, uintptr_t text_start) TM_HIDDEN;

/* Builds the image table if none exists yet. Returns false when memory cannot be mapped. */
bool tm_images_prepare(void) TM_HIDDEN;
void tm_images_after_fork_child(void) TM_HIDDEN;

/* ---- stack capture (unwind.c) ------------------------------------------------------------ */

/* A traceback as the capture stores it, before interning: return addresses, most recent first. `count` are stored (leading runtime
   frames, at most TM_MAX_LEAD, then at most nframe + TM_MACHINERY_SLACK more); `total` is the
   full depth, capped at TM_MAX_NFRAME. */
struct tm_capture {
    uintptr_t *frames;
    uint32_t capacity;
    uint32_t count;
    uint32_t total;
};

/* The interned traceback of the caller of the function whose frame is `frame` (the
   __builtin_frame_address(0) of a hook's traced half, or of tm_track; that function must still
   be running, so it may not tail-call this), skipping `skip` further frames, with the current nframe. 0 when out of memory.
   The caller has set tm_thread.busy. */
uint32_t tm_traceback_here(void *frame, unsigned skip) TM_HIDDEN;
void tm_scratch_lock(void) TM_HIDDEN;
void tm_scratch_unlock(void) TM_HIDDEN;

/* ---- interned tracebacks (tracebacks.c) -------------------------------------------------- */

/* An interned traceback. Immutable once published and never freed, so its id and address stay
   valid for the life of the process and readers need no lock. */
struct tm_interned_traceback {
    uint32_t hash;
    uint32_t count;
    uint32_t total;
    uint32_t id;
    uintptr_t frames[];
};

/* The id of the traceback equal to `capture` (1...TM_MAX_TRACEBACKS), interning it if new;
   0 when memory cannot be mapped or the id space is exhausted. */
uint32_t tm_intern(const struct tm_capture *capture) TM_HIDDEN;
const struct tm_interned_traceback *tm_interned(uint32_t id) TM_HIDDEN;
/* The largest id handed out so far. */
uint32_t tm_traceback_count(void) TM_HIDDEN;
void tm_tracebacks_lock(void) TM_HIDDEN;
void tm_tracebacks_unlock(void) TM_HIDDEN;

/* ---- traces (tables.c) ------------------------------------------------------------------- */

enum tm_add_result { TM_ADD_DONE, TM_ADD_NO_MEMORY, TM_ADD_NOT_TRACING };
/* Adds or replaces the trace of (domain, address), updating current and peak. Changes nothing
   when memory cannot be mapped, the size needs more than 40 bits, or tracing stopped. */
enum tm_add_result tm_trace_add(uint32_t domain, uintptr_t address, uint64_t size, uint32_t traceback) TM_HIDDEN;
/* Removes the trace of (domain, address) if any, and returns it packed (tm_packed_size,
   tm_packed_traceback); 0 when there was none. Returned, not written through pointers: two
   out-parameters cost every free 4 instructions (callgrind). */
uint64_t tm_trace_remove(uint32_t domain, uintptr_t address) TM_HIDDEN;
/* The traceback id of (domain, address), or 0. */
uint32_t tm_trace_traceback(uint32_t domain, uintptr_t address) TM_HIDDEN;
/* Removes every trace of every domain and sets current = peak = 0. */
void tm_traces_clear(void) TM_HIDDEN;
/* Appends every domain's traces to `out` as tm_trace records (traceback = interned id), one
   shard at a time under its lock. Returns false when the buffer cannot grow. */
bool tm_traces_copy(struct tm_buffer *out) TM_HIDDEN;
void tm_traces_lock_all(void) TM_HIDDEN;
void tm_traces_unlock_all(void) TM_HIDDEN;

/* ---- the peak observer: how output hooks into the capture ---------------------------- */

/* The capture knows nothing of files. Output that keeps the traces as they were at the peak of
   traced memory (output/peak.c, for `run --peak`) watches for it here: when a trace is about to
   be removed (traced memory starts going down) and tm_state.peak has reached `threshold`, the
   capture calls `reached`, with tm_thread.busy set and no tracer lock held, so that it may take
   a snapshot; `reached` moves the threshold. UINT64_MAX (never) until tm_observe_peak. */
struct tm_peak_observer {
    _Atomic uint64_t threshold;
    void (*_Atomic reached)(void);
};
extern struct tm_peak_observer tm_peak_observer TM_HIDDEN;
/* Calls `reached` from now on, at the first decrease once the peak is at least `threshold`. */
void tm_observe_peak(void (*reached)(void), uint64_t threshold) TM_HIDDEN;

#endif
