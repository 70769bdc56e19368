/* preload.c: `swift-tracemalloc run` inside the traced process: raw snapshots at exit, every interval and at the peak. */
#define _GNU_SOURCE
#include "output.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * `run` starts the program with this library preloaded and SWIFTTRACEMALLOC=<nframe> (the
 * core's constructor starts tracing), SWIFTTRACEMALLOC_OUTPUT=<absolute FILE>, and optionally
 * SWIFTTRACEMALLOC_INTERVAL=<seconds> and SWIFTTRACEMALLOC_PEAK=1. Without OUTPUT this file
 * does nothing: the same C is linked into every program that uses TraceMalloc.
 *
 * Files (each appears whole or not at all, even if the process is killed: see rawfile.c):
 *   FILE.raw        the traces live at exit (exit() or a return from main; not _exit or a
 *                   signal), written by a destructor: after every atexit handler, and after
 *                   the destructors of the program and of libraries loaded after this one
 *   FILE.N.raw      every interval, from a thread of ours
 *   FILE.peak.raw   the largest copy taken at a peak (peak.c), written at exit
 * The process `run` started is the root; any other (a fork, or a program it execs, which
 * inherits LD_PRELOAD and the environment) writes FILE.<PID>.raw, FILE.<PID>.N.raw and
 * FILE.<PID>.peak.raw. The root's constructor records its pid in SWIFTTRACEMALLOC_ROOT_PID for
 * the programs it execs; the fork handler marks a forked child.
 *
 * Nothing here allocates with malloc while it could be traced: our own work runs under
 * tm_thread_ignore_begin, buffers are mapped, output goes through write(2).
 */

#define TM_MAX_SUFFIX 64 /* ".<pid>.<n>.raw.tmp" and the like */

/* What the environment asked for. Set by the constructor before any thread of ours exists,
   read-only afterwards. NULL: this copy writes nothing. */
static struct tm_output_settings {
    char base[PATH_MAX - TM_MAX_SUFFIX]; /* FILE */
    uint64_t interval;                   /* nanoseconds between snapshots; 0 for none */
    bool peak;
} *settings;

/* Whether this process is the one `run` started. Written by the constructor and by the fork
   child handler, when no thread of ours runs. */
static bool is_root;

/* Serialises writing (an interval snapshot against the one at exit) and guards the two
   variables below. A mutex, not a spinlock: it is held across file I/O. Re-initialised in a
   forked child, where the thread that may have held it does not exist. */
static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t interval_number; /* the last interval snapshot written */
static bool finished;            /* the exit snapshot is written: no interval one may follow */

/* ---- messages and names ------------------------------------------------------------------ */

/* One line on stderr: "swift-tracemalloc: " and the parts up to NULL, without stdio or malloc. */
static void report(const char *part, ...) {
    static const char prefix[] = "swift-tracemalloc: ";
    char line[PATH_MAX + 256];
    memcpy(line, prefix, sizeof prefix - 1);
    size_t length = sizeof prefix - 1;
    va_list parts;
    va_start(parts, part);
    for (const char *next = part; next != NULL; next = va_arg(parts, const char *)) {
        size_t size = strnlen(next, sizeof line - 1 - length);
        memcpy(line + length, next, size);
        length += size;
    }
    va_end(parts);
    line[length++] = '\n';
    write(STDERR_FILENO, line, length);
}

/* Why an error number failed, without strerror (which may allocate for unknown numbers). */
static const char *reason(int error) {
    const char *description = strerrordesc_np(error);
    return description ? description : "unknown error";
}

enum tm_raw_kind { TM_RAW_EXIT, TM_RAW_INTERVAL, TM_RAW_PEAK };

/* The name of this process's file of `kind` (`number` for an interval snapshot), into a buffer
   of PATH_MAX bytes. */
static void raw_path(char *path, enum tm_raw_kind kind, uint32_t number) {
    char *at = tm_append_string(path, settings->base);
    if (!is_root) {
        at = tm_append_decimal(tm_append_string(at, "."), (uint64_t)getpid());
    }
    if (kind == TM_RAW_INTERVAL) {
        at = tm_append_decimal(tm_append_string(at, "."), number);
    } else if (kind == TM_RAW_PEAK) {
        at = tm_append_string(at, ".peak");
    }
    tm_append_string(at, ".raw");
}

/* ---- writing ------------------------------------------------------------------------------ */

static void write_raw(enum tm_raw_kind kind, uint32_t number, const tm_snapshot *snapshot, uint64_t peak) {
    char path[PATH_MAX];
    raw_path(path, kind, number);
    uint64_t current = tm_snapshot_bytes(snapshot);
    int error = tm_raw_write(path, snapshot, current, peak > current ? peak : current);
    if (error != 0) {
        report("cannot write ", path, ": ", reason(error), NULL);
    }
}

/* A snapshot of every domain's traces, or false (and why, once, on stderr) when there is none:
   not tracing, or out of memory. */
static bool take_snapshot(tm_snapshot *snapshot) {
    int result = tm_take_snapshot(snapshot);
    if (result == -1) {
        report("out of memory to take a snapshot", NULL);
    }
    return result == 0;
}

static uint64_t traced_peak(void) {
    return atomic_load_explicit(&tm_state.peak, memory_order_relaxed);
}

static void write_peak(const tm_snapshot *snapshot, uint64_t peak) {
    write_raw(TM_RAW_PEAK, 0, snapshot, peak);
}

/* ---- at exit ------------------------------------------------------------------------------ */

__attribute__((destructor)) static void tm_output_finish(void) {
    if (settings == NULL) {
        return;
    }
    if (tm_thread.busy) {
        /* exit() from a signal handler that interrupted a hook of this thread, which may hold
           a table lock: a snapshot would wait for it forever. */
        report("exit() was called during an allocation (from a signal handler?); no snapshot at exit", NULL);
        return;
    }
    tm_thread_ignore_begin();
    pthread_mutex_lock(&writer_lock);
    if (!finished) {
        finished = true;
        tm_snapshot snapshot;
        if (take_snapshot(&snapshot)) {
            write_raw(TM_RAW_EXIT, 0, &snapshot, traced_peak());
            if (settings->peak) {
                tm_peak_write(&snapshot, write_peak);
            }
            tm_snapshot_free(&snapshot);
        }
    }
    pthread_mutex_unlock(&writer_lock);
    tm_thread_ignore_end();
}

/* ---- intervals ---------------------------------------------------------------------------- */

/* Writes the next interval snapshot; false once the exit snapshot is written. */
static bool write_interval(void) {
    pthread_mutex_lock(&writer_lock);
    bool going_on = !finished;
    tm_snapshot snapshot;
    if (going_on && take_snapshot(&snapshot)) {
        interval_number += 1;
        write_raw(TM_RAW_INTERVAL, interval_number, &snapshot, traced_peak());
        tm_snapshot_free(&snapshot);
    }
    pthread_mutex_unlock(&writer_lock);
    return going_on;
}

/* Whether every thread of the program has ended, ours excepted: the main thread left with
   pthread_exit (the process's state is then Z) and ours is the one other thread. glibc ends a
   process when its last thread exits; ours must not keep it alive. */
static bool only_our_thread_is_left(void) {
    char stat[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    ssize_t length = read(fd, stat, sizeof stat - 1);
    close(fd);
    if (length <= 0) {
        return false;
    }
    stat[length] = '\0';
    /* "pid (comm) state ppid …": comm may hold anything, so fields count from the last ')'. */
    const char *at = strrchr(stat, ')');
    if (at == NULL || at[1] != ' ' || at[2] != 'Z') {
        return false;
    }
    for (int field = 2; *at; at++) {
        if (*at == ' ' && ++field == 20) { /* num_threads, the zombie main thread included */
            return strtol(at + 1, NULL, 10) == 2;
        }
    }
    return false;
}

static struct timespec timespec_after(struct timespec time, uint64_t nanoseconds) {
    uint64_t total = (uint64_t)time.tv_nsec + nanoseconds % 1000000000u;
    time.tv_sec += (time_t)(nanoseconds / 1000000000u + total / 1000000000u);
    time.tv_nsec = (long)(total % 1000000000u);
    return time;
}

static bool before(struct timespec a, struct timespec b) {
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

/* The interval thread: snapshots at start + k * interval (missed ones are skipped, not made
   up), waking at least every 100 ms to see whether it is the last thread. All signals are
   blocked in it, so the program's handlers never run here. */
static void *run_intervals(void *unused) {
    (void)unused;
    tm_thread_ignore_begin();
    pthread_setname_np(pthread_self(), "tracemalloc");
    struct timespec now, next;
    clock_gettime(CLOCK_MONOTONIC, &now);
    next = timespec_after(now, settings->interval);
    for (;;) {
        struct timespec poll = timespec_after(now, 100 * 1000 * 1000);
        struct timespec wake = before(next, poll) ? next : poll;
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL) == EINTR) {
        }
        if (only_our_thread_is_left()) {
            /* What glibc does when the last thread ends; the program's atexit handlers run here
               as on any of its threads, traced, and then the destructor writes FILE. */
            tm_thread_ignore_end();
            exit(0);
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (before(now, next)) {
            continue;
        }
        if (!write_interval()) {
            return NULL;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        next = timespec_after(next, settings->interval);
        if (before(next, now)) {
            next = timespec_after(now, settings->interval);
        }
    }
}

static void start_interval_thread(void) {
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    /* A small stack; glibc refuses it (EINVAL) when static TLS is large, then the default. */
    pthread_attr_setstacksize(&attributes, 512 * 1024);
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous); /* inherited by the new thread */
    tm_thread_ignore_begin();
    pthread_t thread;
    int error = pthread_create(&thread, &attributes, run_intervals, NULL);
    if (error == EINVAL) {
        error = pthread_create(&thread, NULL, run_intervals, NULL);
    }
    tm_thread_ignore_end();
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attributes);
    if (error != 0) {
        report("cannot start the interval thread: ", reason(error), NULL);
    }
}

/* ---- start and fork ----------------------------------------------------------------------- */

/* In a forked child: another process, with no thread of ours yet and nothing written. The
   core's own handler has released its locks (or will, before anything of ours needs them). */
static void after_fork_child(void) {
    is_root = false;
    writer_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    interval_number = 0;
    finished = false;
    tm_peak_after_fork_child();
    if (settings->interval) {
        start_interval_thread();
    }
}

/* Whether this copy of the hooks is the process's malloc. A program that links TraceMalloc
   has a copy of the core of its own; run under `run`, the executable's hooks come first, and
   only that copy may write (both would write the same files). */
static bool hooks_are_active(void) {
    void *(*volatile interposed)(size_t) = malloc;
    Dl_info active, own;
    if (dladdr((void *)interposed, &active) == 0 || dladdr((void *)hooks_are_active, &own) == 0) {
        return true; /* a static executable: only one copy */
    }
    return active.dli_fbase == own.dli_fbase;
}

/* SWIFTTRACEMALLOC_INTERVAL: decimal seconds ("0.25"); 0 when absent or not a number. */
static uint64_t parse_interval(const char *value) {
    uint64_t seconds = 0, nanoseconds = 0, scale = 100000000u;
    const char *at = value;
    for (; *at >= '0' && *at <= '9' && seconds < 1000000000u; at++) {
        seconds = seconds * 10 + (uint64_t)(*at - '0');
    }
    if (*at == '.') {
        for (at++; *at >= '0' && *at <= '9'; at++) {
            nanoseconds += (uint64_t)(*at - '0') * scale;
            scale /= 10;
        }
    }
    if (*at != '\0' || at == value) {
        report("SWIFTTRACEMALLOC_INTERVAL='", value, "' is not a number of seconds; no interval snapshots", NULL);
        return 0;
    }
    uint64_t interval = seconds * 1000000000u + nanoseconds;
    return interval > 0 && interval < 1000000 ? 1000000 : interval; /* at least 1 ms */
}

/* Whether this process is `run`'s, recording its pid for the programs it execs if so. */
static bool is_root_process(void) {
    const char *root = getenv("SWIFTTRACEMALLOC_ROOT_PID");
    char pid[24];
    tm_append_decimal(pid, (uint64_t)getpid());
    if (root == NULL) {
        tm_thread_ignore_begin();
        setenv("SWIFTTRACEMALLOC_ROOT_PID", pid, 1);
        tm_thread_ignore_end();
        return true;
    }
    return strcmp(root, pid) == 0; /* the root itself, after an exec */
}

/* The last interval number already used by this process's name: an exec keeps the pid, and the
   new program continues the numbering of the one it replaced. */
static uint32_t last_interval_written(void) {
    char path[PATH_MAX];
    uint32_t number = 0;
    do {
        raw_path(path, TM_RAW_INTERVAL, ++number);
    } while (access(path, F_OK) == 0);
    return number - 1;
}

__attribute__((constructor)) static void tm_output_initialize(void) {
    const char *base = getenv("SWIFTTRACEMALLOC_OUTPUT");
    const char *nframe = getenv("SWIFTTRACEMALLOC");
    if (base == NULL || base[0] == '\0' || nframe == NULL || nframe[0] == '\0' || !hooks_are_active()) {
        return;
    }
    if (base[0] != '/' || strlen(base) >= sizeof settings->base) {
        report("SWIFTTRACEMALLOC_OUTPUT='", base, "' must be an absolute path shorter than PATH_MAX; nothing is written", NULL);
        return;
    }
    struct tm_output_settings *chosen = tm_map(sizeof *chosen);
    if (chosen == NULL) {
        report("out of memory; nothing is written", NULL);
        return;
    }
    memcpy(chosen->base, base, strlen(base) + 1);
    const char *interval = getenv("SWIFTTRACEMALLOC_INTERVAL");
    chosen->interval = interval && interval[0] ? parse_interval(interval) : 0;
    const char *peak = getenv("SWIFTTRACEMALLOC_PEAK");
    chosen->peak = peak && strcmp(peak, "1") == 0;
    settings = chosen;

    is_root = is_root_process();
    interval_number = last_interval_written();
    if (settings->peak) {
        tm_peak_watch();
    }
    pthread_atfork(NULL, NULL, after_fork_child);
    if (settings->interval) {
        start_interval_thread();
    }
}
