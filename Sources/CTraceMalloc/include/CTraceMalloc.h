/* CTraceMalloc: the tracing core's C API, what Swift sees. */
#ifndef CTRACEMALLOC_H
#define CTRACEMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The core hooks the malloc family (TM_HOOKS below) of the whole process. While tracing, each
 * successful allocation records a trace: (domain 0, address, size, traceback).
 *
 * Tracebacks are raw return addresses, most recent first; consumers subtract 1 to find the call.
 * The first is the return address into the caller of malloc (for a Swift object, into
 * swift_slowAlloc). The nframe rule, stated once here for the C and the Swift halves. A
 * traceback stores:
 *   - first, every leading frame that lies in a "runtime" image (tm_image_is_runtime: libc,
 *     the Swift runtime, Foundation…), at most TM_MAX_LEAD, uncounted: the symbolizer drops
 *     them, so that
 *   - the next `nframe` frames are the ones Python's nframe counts, plus up to
 *     TM_MACHINERY_SLACK more for machinery in the program's own image that only the symbolizer
 *     recognises (allocating initializers, specialised standard-library generics), which it
 *     drops before keeping nframe;
 *   - and `total`, the depth of the whole stack (capped at TM_MAX_NFRAME, and never below the
 *     stored count), from which the symbolizer derives total_nframe by subtracting the frames it
 *     dropped, capping the result at TM_MAX_NFRAME as Python does.
 * Stacks are walked through frame pointers, and with the CFI unwinder (_Unwind_Backtrace) when
 * the walk meets code that does not keep them (glibc's strdup, qsort…). The walk ends at the
 * thread's entry frame in libc (start_thread, __libc_start_call_main); frames below it are not
 * counted.
 *
 * Each unique traceback is stored once and never freed: a traceback id stays valid (and its
 * frames readable without a lock) for the life of the process, across stop and start.
 *
 * Python: Modules/_tracemalloc.c
 */

/* Python's limit on nframe and on total_nframe (both are stored as uint16 there). */
#define TM_MAX_NFRAME 65535
/* Leading frames in runtime images stored uncounted, at most. */
#define TM_MAX_LEAD 128
/* Frames stored beyond nframe for the program's own machinery (measured: a class instance has
   one, a release-built Array.init(repeating:count:) three). */
#define TM_MACHINERY_SLACK 8

/* The functions the core interposes, listed once: hooks.c defines each, and the symbolizer
   tells their frames apart by these names. X(name) per function. */
#define TM_HOOKS(X)                                                                                \
    X(malloc) X(free) X(calloc) X(realloc) X(reallocarray) X(posix_memalign) X(aligned_alloc)     \
    X(memalign) X(valloc) X(pvalloc) X(malloc_usable_size)
/* The name of the index-th function of TM_HOOKS, NULL past the last. */
const char *tm_hook_name(size_t index);

/* Starts tracing with `nframe` (1...65535) frames per traceback. While tracing it does nothing
   (Python keeps the first limit). Returns 0, -1 if nframe is out of range, -2 when the tracer
   cannot map memory for its tables. */
int tm_start(int nframe);
/* Stops tracing and clears every domain's traces; current = peak = 0. The limit is kept. */
void tm_stop(void);
bool tm_is_tracing(void);
/* The nframe of the last start (1 before any). */
int tm_get_traceback_limit(void);
/* When tracing, removes every trace and sets current = peak = 0. */
void tm_clear_traces(void);
/* The sum of the traced blocks' sizes, and its high-water mark; (0, 0) when not tracing. */
void tm_get_traced_memory(size_t *current, size_t *peak);
/* When tracing, sets peak = current. */
void tm_reset_peak(void);
/* Bytes of memory the tracer has mapped for its own tables. */
size_t tm_get_tracemalloc_memory(void);

/* Adds (or replaces) the trace of (domain, address) with the caller's traceback. `skip` is the
   number of wrapper frames between the user and this call (Swift's TraceMalloc.track is 1).
   Returns 0, -1 when out of memory, -2 when not tracing. Python: PyTraceMalloc_Track. */
int tm_track(uint32_t domain, uintptr_t address, size_t size, unsigned skip);
/* Removes the trace of (domain, address) if any. Returns 0 (even when there was none), -2 when
   not tracing. Python: PyTraceMalloc_Untrack. */
int tm_untrack(uint32_t domain, uintptr_t address);

/* The traceback id of the block at (domain, address), or 0 when it is not traced (or not
   tracing). Python: _PyTraceMalloc_GetTraceback. */
uint32_t tm_get_traceback(uint32_t domain, uintptr_t address);

/* An interned traceback: `count` return addresses, most recent first, and the stack's depth. */
typedef struct tm_traceback {
    const uintptr_t *frames;
    uint32_t count;
    uint32_t total;
} tm_traceback;
/* The traceback with id `id` (from tm_get_traceback or a snapshot); its frames stay valid for
   the life of the process. An unknown id gives count 0. */
tm_traceback tm_traceback_get(uint32_t id);

/* One trace in a snapshot. */
typedef struct tm_trace {
    uint64_t size;
    uint32_t domain;
    uint32_t traceback; /* index into tm_snapshot.tracebacks */
} tm_trace;
_Static_assert(sizeof(tm_trace) == 16, "tm_trace is read by Swift as 16 bytes");

/* Every domain's traces at one moment (shard by shard), in the tracer's own memory. */
typedef struct tm_snapshot {
    tm_trace *traces;
    size_t trace_count;
    uint32_t *tracebacks; /* the interned ids the traces use, each once (tm_traceback_get) */
    size_t traceback_count;
    int traceback_limit;
    size_t trace_storage_;     /* private: bytes mapped at traces, for tm_snapshot_free */
    size_t traceback_storage_; /* private: bytes mapped at tracebacks */
} tm_snapshot;
/* Fills *snapshot. Returns 0, -1 when out of memory, -2 when not tracing. Frees with
   tm_snapshot_free. */
int tm_take_snapshot(tm_snapshot *snapshot);
void tm_snapshot_free(tm_snapshot *snapshot);

/* A loaded image (executable or shared library) with a file, for symbolisation now or later.
   The core records them (images.c); this is the one list of a process's images. */
typedef struct tm_image {
    const char *path;       /* absolute; valid for the life of the process */
    uintptr_t bias;         /* load bias: runtime address = file virtual address + bias */
    uintptr_t start, end;   /* the mapped range of its PT_LOAD segments */
    uint8_t build_id[32];   /* GNU build id (NT_GNU_BUILD_ID) */
    uint32_t build_id_size; /* 0 when the image has none */
    bool is_runtime;        /* tm_image_is_runtime(path) */
    bool keeps_frame_pointers;
} tm_image;
/* Copies up to `capacity` images into `images`, and returns how many there are. Images without
   a file (the vDSO) are left out: there is nothing to symbolise them from. */
size_t tm_copy_images(tm_image *images, size_t capacity);
/* A number that changes whenever the list tm_copy_images gives changes (a library loaded or
   unloaded since it was last read). */
uint64_t tm_images_generation(void);
/* Whether frames in the image at `path` belong to the runtime (libc, the loader, libstdc++,
   libgcc_s, the Swift runtime and its libraries, Foundation, Dispatch, the tracer), judged by
   the file name; the list is in images.c. */
bool tm_image_is_runtime(const char *path);
/* The GNU build id among the ELF notes at `notes` (one PT_NOTE segment of `size` bytes, aligned
   to `alignment`), copied to `id`; returns its size, 0 when there is none (or it is longer
   than 32 bytes). For notes in memory (images.c) and read from a file (the symbolizer). */
uint32_t tm_gnu_build_id(const void *notes, size_t size, size_t alignment, uint8_t id[32]);

/* How many captures since the process started went to libgcc's unwinder (_Unwind_Backtrace,
   ~0.5 us a frame) instead of the frame-pointer walk and the compiled unwind tables, by the
   reason the fast walk gave up. */
typedef struct tm_unwind_stats {
    uint64_t no_image;         /* a return address in no loaded image (JIT code, an unloaded library) */
    uint64_t no_table;         /* its image has no .eh_frame_hdr, or its table could not be mapped */
    uint64_t no_function;      /* no function's unwind information covers the return address */
    uint64_t unsupported_rule; /* a rule the tables cannot express (a CFA in another register, a DWARF expression) */
    uint64_t signal_frame;     /* the code a signal interrupted keeps frame pointers (it may be in a prologue) */
    uint64_t bad_stack;        /* a rule pointed outside the thread's stack */
    uint64_t other_stack;      /* the allocation ran on a stack of unknown bounds (a sigaltstack) */
    uint64_t skip;             /* tm_track's frames to skip lie in code without frame pointers */
} tm_unwind_stats;
void tm_get_unwind_stats(tm_unwind_stats *stats);

/* Allocations of the calling thread are not traced between begin and end (nested calls count);
   frees still remove traces. For the tracer's own bookkeeping. */
void tm_thread_ignore_begin(void);
void tm_thread_ignore_end(void);

#ifdef __cplusplus
}
#endif

#endif
