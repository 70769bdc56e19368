/* output.h: the output side of the preloaded tracer (`swift-tracemalloc run`): raw files at exit,
   every interval and at the peak. It uses the capture; the capture never uses it. */
#ifndef CTRACEMALLOC_OUTPUT_H
#define CTRACEMALLOC_OUTPUT_H

#include "../capture/capture.h"

/* ---- raw files (rawfile.c) ------------------------------------------------------------- */

/* Writes `snapshot` and the loaded images to the absolute `path` in the raw format; the file
   appears whole or not at all. Returns 0 or an errno value. */
int tm_raw_write(const char *path, const tm_snapshot *snapshot, uint64_t current, uint64_t peak) TM_HIDDEN;
/* The sum of the snapshot's trace sizes. */
uint64_t tm_snapshot_bytes(const tm_snapshot *snapshot) TM_HIDDEN;
/* Copy `string` or the decimal digits of `value` to `at`, NUL-terminated; return the end.
   File names are built with them, without stdio. */
char *tm_append_string(char *at, const char *string) TM_HIDDEN;
char *tm_append_decimal(char *at, uint64_t value) TM_HIDDEN;

/* ---- the peak (peak.c) ---------------------------------------------------------------- */

/* From now on, keeps a copy of the traces at each new peak (1% above the last copy's). */
void tm_peak_watch(void) TM_HIDDEN;
typedef void (*tm_peak_writer)(const tm_snapshot *snapshot, uint64_t peak);
/* Calls `write` once with the traces at the peak: the kept copy, or `at_exit` when it holds as
   many bytes; the copy cannot change meanwhile. */
void tm_peak_write(const tm_snapshot *at_exit, tm_peak_writer write) TM_HIDDEN;
/* In a forked child: the copy's lock, which a thread of the parent may have held. */
void tm_peak_after_fork_child(void) TM_HIDDEN;

#endif
