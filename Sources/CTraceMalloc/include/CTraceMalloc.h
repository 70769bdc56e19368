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
 * The core hooks the malloc family (malloc, free, calloc, realloc, reallocarray, posix_memalign,
 * aligned_alloc, memalign, valloc, pvalloc, malloc_usable_size) of the whole process. While
 * tracing, each successful allocation records a trace: (domain 0, address, size, traceback).
 *
 * Tracebacks are raw return addresses, most recent first; consumers subtract 1 to find the call.
 * The first is the return address into the caller of malloc (for a Swift object, into
 * swift_slowAlloc). A traceback stores:
 *   - first, every leading frame that lies in a "runtime" image (tm_image_is_runtime: libc,
 *     libswiftCore, Foundation…), at most 128, uncounted: the symbolizer drops them, so that
 *   - the next `nframe` frames are the ones Python's nframe counts, plus up to 8 more for
 *     machinery in the program's own image that only the symbolizer recognises (allocating
 *     initializers, specialised standard-library generics), which it drops before keeping
 *     nframe;
 *   - and `total`, the depth of the whole stack (capped at 65535), from which the symbolizer
 *     derives total_nframe by subtracting the frames it dropped.
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

/* A loaded image (executable or shared library), for symbolisation now or later. */
typedef struct tm_image {
    const char *path;       /* absolute when known; valid for the life of the process */
    uintptr_t bias;         /* load bias: runtime address = file virtual address + bias */
    uintptr_t start, end;   /* the mapped range of its PT_LOAD segments */
    uint8_t build_id[32];   /* GNU build id (NT_GNU_BUILD_ID) */
    uint32_t build_id_size; /* 0 when the image has none */
    bool is_runtime;        /* tm_image_is_runtime(path) */
    bool keeps_frame_pointers;
} tm_image;
/* Copies up to `capacity` images into `images`, and returns how many there are. */
size_t tm_copy_images(tm_image *images, size_t capacity);
/* Whether frames in the image at `path` belong to the runtime (libc, ld-linux, libm, libpthread,
   libdl, libgcc_s, libstdc++, libswiftCore, libswift_Concurrency, libswiftSynchronization,
   libswift_StringProcessing, libswift_RegexParser, libswiftDispatch, libswiftSwiftOnoneSupport,
   libFoundation*,
   lib_FoundationICU, libdispatch, libBlocksRuntime, libTraceMallocPreload), judged by the file
   name. */
bool tm_image_is_runtime(const char *path);

/* Allocations of the calling thread are not traced between begin and end (nested calls count);
   frees still remove traces. For the tracer's own bookkeeping. */
void tm_thread_ignore_begin(void);
void tm_thread_ignore_end(void);

#ifdef __cplusplus
}
#endif

#endif
