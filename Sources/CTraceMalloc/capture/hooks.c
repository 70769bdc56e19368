/* hooks.c: the malloc family, interposed: forward to glibc, then record the block's trace. */
#define _GNU_SOURCE
#include "capture.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * Defining these symbols in the executable (or a preloaded library) puts them before libc's in
 * symbol lookup, so every allocation of the process, libc's own included, comes here. Each hook
 * forwards to glibc's implementation under its internal name (no dlsym, which allocates), so a
 * program behaves exactly as without the tracer, errno included.
 *
 * A hook is two functions. The hook itself only tests `tracing` and, when it is off, jumps to
 * glibc: no register saved, one indirect jump into libc (with the tracing path inlined, the
 * hook saved three registers on every call). When tracing is on it jumps (a
 * guaranteed tail call) to its traced half, which therefore runs as if the program had called
 * it: its frame record holds the program's return address, and it passes that frame
 * (__builtin_frame_address(0)) to the capture. The traced half forwards, then records with
 * tm_thread.busy set; a hook entered again on the same thread while busy only forwards. Traced halves are
 * noinline and do work after the capture, so that their frame is still there to be walked.
 */
#define TM_HOOK __attribute__((noinline))
#define TM_TRACED static __attribute__((noinline))
#if !__has_attribute(musttail)
#error "the hooks need a compiler with __attribute__((musttail)) (clang 13 or later)"
#endif
#define TM_TAIL __attribute__((musttail))

extern void *__libc_malloc(size_t size);
extern void __libc_free(void *block);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *block, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

/* glibc's functions, called through pointers that the loader fills in: one indirect jump
   straight into libc. A call to the function itself would go through this image's PLT first;
   the pointers are volatile so that the compiler does not turn them back into such calls. */
static void *(*volatile const libc_malloc)(size_t) = __libc_malloc;
static void (*volatile const libc_free)(void *) = __libc_free;
static void *(*volatile const libc_calloc)(size_t, size_t) = __libc_calloc;
static void *(*volatile const libc_realloc)(void *, size_t) = __libc_realloc;
static void *(*volatile const libc_memalign)(size_t, size_t) = __libc_memalign;
static void *(*volatile const libc_valloc)(size_t) = __libc_valloc;
static void *(*volatile const libc_pvalloc)(size_t) = __libc_pvalloc;

static inline bool tracing(void) {
    return TM_UNLIKELY(atomic_load_explicit(&tm_state.tracing, memory_order_relaxed));
}

/* Whether a new block of this thread should be traced. */
static inline bool traced_thread(void) {
    return !tm_thread.busy && !tm_thread.ignore;
}

/* A request the tables cannot record (a block of 1 TiB or more): refused as glibc refuses
   what it cannot provide. */
static void *refuse(void) {
    errno = ENOMEM;
    return NULL;
}

/* Records `block`, just returned by glibc for `size` bytes, with the traceback of the caller of
   the traced half whose frame is `frame`, with the thread marked busy meanwhile (glibc's own
   functions, called before, never come back into a hook). When the trace cannot be stored,
   the allocation fails (Python: "no <truncated> traces"): the block is freed, NULL returned. */
static inline __attribute__((always_inline)) void *record(void *frame, void *block, uint64_t size) {
    if (block == NULL) {
        return NULL;
    }
    tm_thread.busy = 1;
    uint32_t traceback = tm_traceback_here(frame, 0);
    bool traced = traceback != 0 && tm_trace_add(0, (uintptr_t)block, size, traceback) != TM_ADD_NO_MEMORY;
    tm_thread.busy = 0;
    if (!traced) {
        libc_free(block);
        return refuse();
    }
    return block;
}

TM_TRACED void *traced_malloc(size_t size) {
    if (!traced_thread()) {
        return libc_malloc(size);
    }
    if (size > TM_MAX_SIZE) {
        return refuse();
    }
    return record(__builtin_frame_address(0), libc_malloc(size), size);
}

TM_HOOK void *malloc(size_t size) {
    if (TM_LIKELY(!tracing())) {
        return libc_malloc(size);
    }
    TM_TAIL return traced_malloc(size);
}

TM_HOOK void free(void *block) {
    /* The trace goes before the block: once glibc has it back, another thread may be handed
       the same address and record its own trace there. */
    if (TM_UNLIKELY(block != NULL && tracing()) && !tm_thread.busy) {
        tm_thread.busy = 1;
        tm_trace_remove(0, (uintptr_t)block);
        tm_thread.busy = 0;
    }
    libc_free(block);
}

TM_TRACED void *traced_calloc(size_t count, size_t size) {
    if (!traced_thread()) {
        return libc_calloc(count, size);
    }
    size_t bytes;
    if (!__builtin_mul_overflow(count, size, &bytes) && bytes > TM_MAX_SIZE) {
        return refuse();
    }
    return record(__builtin_frame_address(0), libc_calloc(count, size), bytes);
}

TM_HOOK void *calloc(size_t count, size_t size) {
    if (TM_LIKELY(!tracing())) {
        return libc_calloc(count, size);
    }
    TM_TAIL return traced_calloc(count, size);
}

/* realloc while tracing (SPEC 7.8). The old trace is removed before glibc may free the block
   (see free), and put back if realloc fails. A moved block's new trace has the realloc call's
   traceback. Called by the traced halves below, with their frame. */
static inline __attribute__((always_inline)) void *traced_resize(void *frame, void *block, size_t size) {
    if (tm_thread.busy) {
        return libc_realloc(block, size);
    }
    if (size > TM_MAX_SIZE) {
        return refuse();
    }
    tm_thread.busy = 1;
    uint64_t old = block != NULL ? tm_trace_remove(0, (uintptr_t)block) : 0;
    void *resized = libc_realloc(block, size);
    if (resized == NULL) {
        bool freed = block != NULL && size == 0; /* glibc's realloc(p, 0) frees p */
        if (old != 0 && !freed) {
            tm_trace_add(0, (uintptr_t)block, tm_packed_size(old), tm_packed_traceback(old));
        }
    } else if (!tm_thread.ignore) {
        uint32_t traceback = tm_traceback_here(frame, 0);
        if (traceback == 0 || tm_trace_add(0, (uintptr_t)resized, size, traceback) == TM_ADD_NO_MEMORY) {
            if (block != NULL) {
                /* The old block is gone and the new one cannot be traced: Python stops the
                   process too ("tracemalloc_realloc() failed to allocate a trace"). */
                static const char message[] = "swift-tracemalloc: realloc: out of memory to store the trace\n";
                write(STDERR_FILENO, message, sizeof message - 1);
                abort();
            }
            libc_free(resized);
            resized = refuse();
        }
    }
    tm_thread.busy = 0;
    return resized;
}

TM_TRACED void *traced_realloc(void *block, size_t size) {
    return traced_resize(__builtin_frame_address(0), block, size);
}

TM_HOOK void *realloc(void *block, size_t size) {
    if (TM_LIKELY(!tracing())) {
        return libc_realloc(block, size);
    }
    TM_TAIL return traced_realloc(block, size);
}

TM_TRACED void *traced_reallocarray(void *block, size_t count, size_t size) {
    return traced_resize(__builtin_frame_address(0), block, count * size); /* checked by the hook */
}

TM_HOOK void *reallocarray(void *block, size_t count, size_t size) {
    size_t bytes;
    if (__builtin_mul_overflow(count, size, &bytes)) {
        return refuse(); /* glibc: ENOMEM, and the block is left alone */
    }
    if (TM_LIKELY(!tracing())) {
        return libc_realloc(block, bytes);
    }
    TM_TAIL return traced_reallocarray(block, count, size);
}

/* In glibc 2.36 aligned_alloc and memalign are one function (aligned_alloc is an alias), so they
   share its argument handling: an alignment that is not a power of two is rounded up, one
   above SIZE_MAX / 2 + 1 fails with EINVAL. */
TM_TRACED void *traced_memalign(size_t alignment, size_t size) {
    if (!traced_thread()) {
        return libc_memalign(alignment, size);
    }
    if (size > TM_MAX_SIZE) {
        return refuse();
    }
    return record(__builtin_frame_address(0), libc_memalign(alignment, size), size);
}

TM_HOOK void *memalign(size_t alignment, size_t size) {
    if (TM_LIKELY(!tracing())) {
        return libc_memalign(alignment, size);
    }
    TM_TAIL return traced_memalign(alignment, size);
}

TM_HOOK void *aligned_alloc(size_t alignment, size_t size) {
    if (TM_LIKELY(!tracing())) {
        return libc_memalign(alignment, size);
    }
    TM_TAIL return traced_memalign(alignment, size);
}

/* posix_memalign's own checks are glibc's, in glibc's order; errors are returned and *result
   is left alone. */
static inline int checked_alignment(size_t alignment) {
    if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0 || alignment == 0) {
        return EINVAL;
    }
    return 0;
}

static inline int stored(void **result, void *block) {
    if (block == NULL) {
        return ENOMEM;
    }
    *result = block;
    return 0;
}

TM_TRACED int traced_posix_memalign(void **result, size_t alignment, size_t size) {
    if (!traced_thread()) {
        return stored(result, libc_memalign(alignment, size));
    }
    if (size > TM_MAX_SIZE) {
        return stored(result, refuse()); /* ENOMEM, with errno set as glibc leaves it */
    }
    return stored(result, record(__builtin_frame_address(0), libc_memalign(alignment, size), size));
}

TM_HOOK int posix_memalign(void **result, size_t alignment, size_t size) {
    int error = checked_alignment(alignment);
    if (error != 0) {
        return error;
    }
    if (TM_LIKELY(!tracing())) {
        return stored(result, libc_memalign(alignment, size));
    }
    TM_TAIL return traced_posix_memalign(result, alignment, size);
}

TM_TRACED void *traced_valloc(size_t size) {
    if (!traced_thread()) {
        return libc_valloc(size);
    }
    if (size > TM_MAX_SIZE) {
        return refuse();
    }
    return record(__builtin_frame_address(0), libc_valloc(size), size);
}

TM_HOOK void *valloc(size_t size) {
    if (TM_LIKELY(!tracing())) {
        return libc_valloc(size);
    }
    TM_TAIL return traced_valloc(size);
}

/* pvalloc's block is the size rounded up to whole pages, and that is the size traced: the call
   promises the program every byte of those pages (the README says so; every other hook traces
   the size asked for). */
TM_TRACED void *traced_pvalloc(size_t size) {
    if (!traced_thread()) {
        return libc_pvalloc(size);
    }
    size_t page = (size_t)getpagesize();
    size_t rounded;
    if (__builtin_add_overflow(size, page - 1, &rounded)) {
        return refuse(); /* glibc's check */
    }
    rounded &= ~(page - 1);
    if (rounded > TM_MAX_SIZE) {
        return refuse();
    }
    return record(__builtin_frame_address(0), libc_pvalloc(size), rounded);
}

TM_HOOK void *pvalloc(size_t size) {
    if (TM_LIKELY(!tracing())) {
        return libc_pvalloc(size);
    }
    TM_TAIL return traced_pvalloc(size);
}

/* glibc has no __libc_malloc_usable_size; the next definition is found once, with dlsym
   (which may allocate: the thread is marked busy meanwhile). */
TM_HOOK size_t malloc_usable_size(void *block) {
    typedef size_t (*usable_size_function)(void *);
    static _Atomic(usable_size_function) next;
    usable_size_function function = atomic_load_explicit(&next, memory_order_acquire);
    if (TM_UNLIKELY(function == NULL)) {
        uint8_t busy = tm_thread.busy;
        tm_thread.busy = 1;
        function = (usable_size_function)dlsym(RTLD_NEXT, "malloc_usable_size");
        tm_thread.busy = busy;
        if (function == NULL || function == malloc_usable_size) {
            static const char message[] = "swift-tracemalloc: cannot find glibc's malloc_usable_size\n";
            write(STDERR_FILENO, message, sizeof message - 1);
            abort();
        }
        atomic_store_explicit(&next, function, memory_order_release);
    }
    return function(block);
}

const char *tm_hook_name(size_t index) {
#define TM_HOOK_NAME(function) #function,
    static const char *const names[] = {TM_HOOKS(TM_HOOK_NAME)};
#undef TM_HOOK_NAME
    return index < sizeof names / sizeof names[0] ? names[index] : NULL;
}
