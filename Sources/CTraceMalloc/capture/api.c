/* api.c: start/stop, counters, track/untrack, SWIFTTRACEMALLOC and fork. */
#define _GNU_SOURCE
#include "capture.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tm_state tm_state = {.nframe = 1};
__thread struct tm_thread tm_thread __attribute__((tls_model("initial-exec")));

/* Serialises start, stop and clear against each other (hooks never take it). */
static tm_spinlock control_lock;

int tm_start(int nframe) {
    if (nframe < 1 || (unsigned)nframe > TM_MAX_NFRAME) {
        return -1;
    }
    tm_lock(&control_lock);
    int result = 0;
    if (!atomic_load_explicit(&tm_state.tracing, memory_order_relaxed)) {
        if (tm_images_prepare()) {
            atomic_store_explicit(&tm_state.nframe, nframe, memory_order_relaxed);
            /* Release: a hook that sees tracing set also sees nframe and the image table. */
            atomic_store_explicit(&tm_state.tracing, 1, memory_order_release);
        } else {
            result = -2;
        }
    }
    tm_unlock(&control_lock);
    return result;
}

void tm_stop(void) {
    tm_lock(&control_lock);
    if (atomic_load_explicit(&tm_state.tracing, memory_order_relaxed)) {
        atomic_store_explicit(&tm_state.tracing, 0, memory_order_relaxed);
        /* Clearing takes every shard lock, after which no hook can add (it rechecks tracing
           under its shard lock). */
        tm_traces_clear();
    }
    tm_unlock(&control_lock);
}

bool tm_is_tracing(void) {
    return atomic_load_explicit(&tm_state.tracing, memory_order_relaxed);
}

int tm_get_traceback_limit(void) {
    return atomic_load_explicit(&tm_state.nframe, memory_order_relaxed);
}

void tm_clear_traces(void) {
    tm_lock(&control_lock);
    if (atomic_load_explicit(&tm_state.tracing, memory_order_relaxed)) {
        tm_traces_clear();
    }
    tm_unlock(&control_lock);
}

void tm_get_traced_memory(size_t *current, size_t *peak) {
    bool on = tm_is_tracing();
    *current = on ? (size_t)atomic_load_explicit(&tm_state.current, memory_order_relaxed) : 0;
    *peak = on ? (size_t)atomic_load_explicit(&tm_state.peak, memory_order_relaxed) : 0;
}

void tm_reset_peak(void) {
    if (tm_is_tracing()) {
        atomic_store_explicit(&tm_state.peak, atomic_load_explicit(&tm_state.current, memory_order_relaxed), memory_order_relaxed);
    }
}

size_t tm_get_tracemalloc_memory(void) {
    return (size_t)atomic_load_explicit(&tm_state.mapped, memory_order_relaxed);
}

/* noinline, and work after the capture: its own frame is where the walk starts. */
__attribute__((noinline)) int tm_track(uint32_t domain, uintptr_t address, size_t size, unsigned skip) {
    if (!tm_is_tracing()) {
        return -2;
    }
    uint8_t busy = tm_thread.busy;
    tm_thread.busy = 1;
    uint32_t traceback = tm_traceback_here(__builtin_frame_address(0), skip);
    enum tm_add_result result = traceback ? tm_trace_add(domain, address, size, traceback) : TM_ADD_NO_MEMORY;
    tm_thread.busy = busy;
    switch (result) {
    case TM_ADD_DONE: return 0;
    case TM_ADD_NO_MEMORY: return -1;
    case TM_ADD_NOT_TRACING: return -2;
    }
    return -1;
}

int tm_untrack(uint32_t domain, uintptr_t address) {
    if (!tm_is_tracing()) {
        return -2;
    }
    uint8_t busy = tm_thread.busy;
    tm_thread.busy = 1;
    tm_trace_remove(domain, address);
    tm_thread.busy = busy;
    return 0;
}

uint32_t tm_get_traceback(uint32_t domain, uintptr_t address) {
    return tm_is_tracing() ? tm_trace_traceback(domain, address) : 0;
}

void tm_thread_ignore_begin(void) {
    tm_thread.ignore += 1;
}

void tm_thread_ignore_end(void) {
    if (tm_thread.ignore > 0) {
        tm_thread.ignore -= 1;
    }
}

/* ---- fork ------------------------------------------------------------------------------ */

/*
 * prepare takes every tracer lock (so no table is caught half-changed by the fork) and marks
 * the forking thread busy, because atfork handlers registered before ours run after our
 * prepare and may allocate. Parent and child release them. In the child tracing stays on and
 * it inherits the parent's traces, as in Python. The image table's builder lock is not taken
 * (a build publishes only a finished table), the child just resets it.
 */
static void prepare_fork(void) {
    tm_thread.busy = 1;
    tm_lock(&control_lock);
    tm_tracebacks_lock();
    tm_scratch_lock();
    tm_traces_lock_all();
}

static void after_fork_parent(void) {
    tm_traces_unlock_all();
    tm_scratch_unlock();
    tm_tracebacks_unlock();
    tm_unlock(&control_lock);
    tm_thread.busy = 0;
}

static void after_fork_child(void) {
    tm_images_after_fork_child();
    after_fork_parent();
}

/* ---- SWIFTTRACEMALLOC ------------------------------------------------------------------- */

static void write_error(const char *value, const char *reason) {
    /* One line, built by hand: no stdio, no malloc, this early. */
    char line[256];
    size_t length = 0;
    const char *parts[] = {"swift-tracemalloc: SWIFTTRACEMALLOC='", value, "': ", reason, "; tracing stays off\n"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t part = strlen(parts[i]);
        if (i == 1 && part > 64) {
            part = 64;
        }
        if (part > sizeof line - length) {
            part = sizeof line - length;
        }
        memcpy(line + length, parts[i], part);
        length += part;
    }
    write(STDERR_FILENO, line, length);
}

/* Like PYTHONTRACEMALLOC: a decimal N >= 1 starts tracing with nframe N; unset, empty or 0
   leave it off. Python stops the process on a bad value; we print one line and stay off. */
__attribute__((constructor)) static void tm_initialize(void) {
    pthread_atfork(prepare_fork, after_fork_parent, after_fork_child);
    const char *value = getenv("SWIFTTRACEMALLOC");
    if (value == NULL || value[0] == '\0') {
        return;
    }
    unsigned long nframe = 0;
    for (const char *c = value; *c; c++) {
        if (*c < '0' || *c > '9') {
            write_error(value, "invalid number of frames (expected a decimal number)");
            return;
        }
        nframe = nframe * 10 + (unsigned long)(*c - '0');
        if (nframe > TM_MAX_NFRAME) {
            write_error(value, "the number of frames must be in range [1; 65535]");
            return;
        }
    }
    if (nframe > 0 && tm_start((int)nframe) != 0) {
        write_error(value, "not enough memory to start tracing");
    }
}
