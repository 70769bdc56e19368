/* peak.c: the traces as they were at the peak of traced memory, for the peak file (`run --peak`). */
#include "output.h"

/*
 * The peak file holds the traces as they were when the traced memory was at its highest, to
 * within 1%. The hooks cannot tell when memory peaks, only when it starts going down: so the
 * copy is taken at the first decrease (the capture's peak observer, called before the block's
 * trace goes) after the peak has grown past the observer's threshold, then the threshold moves
 * 1% above the copied peak. A later peak P that was never copied is below 1.01 times the last
 * copy's, so the copy holds at least 99% of P's bytes; a peak still standing at exit is the exit
 * snapshot itself. A burst of allocations is copied once, whole, when its first block is freed.
 *
 * Each copy costs a snapshot, and there are at most about 70 per doubling of the peak (1.01^70
 * is 2): a program that grows to a million live blocks with frees all along makes some 1400.
 */

struct tm_peak_copy {
    tm_snapshot snapshot;
    uint64_t peak; /* tm_state.peak when it was taken */
};

/* Guards the two copies and `peak_copy`. Hooks only try it: a thread that finds a copy under
   way goes on, since the copy being taken is as recent as its own would be. Released in a
   forked child, where the thread that may have held it does not exist. */
static tm_spinlock peak_lock;
/* The copy being kept, the other one being the next copy's place. Switched with one store, so
   a fork never catches it half-written. */
static struct tm_peak_copy peak_copies[2];
static struct tm_peak_copy *peak_copy;

static uint64_t traced_peak(void) {
    return atomic_load_explicit(&tm_state.peak, memory_order_relaxed);
}

/* The capture's peak observer: copies the traces. tm_thread.busy is set, no lock held. */
static void peak_reached(void) {
    if (!tm_trylock(&peak_lock)) {
        return;
    }
    uint64_t peak = traced_peak();
    if (peak >= atomic_load_explicit(&tm_peak_observer.threshold, memory_order_relaxed)) {
        struct tm_peak_copy *previous = peak_copy;
        struct tm_peak_copy *next = previous == &peak_copies[0] ? &peak_copies[1] : &peak_copies[0];
        tm_snapshot_free(&next->snapshot); /* only left over by a fork during the last copy */
        if (tm_take_snapshot(&next->snapshot) == 0) {
            next->peak = peak;
            peak_copy = next;
            if (previous) {
                tm_snapshot_free(&previous->snapshot);
            }
        }
        /* Moved even when the copy failed: out of memory, retrying at every free would only
           make the program slower. */
        atomic_store_explicit(&tm_peak_observer.threshold, peak + (peak / 100 > 0 ? peak / 100 : 1), memory_order_relaxed);
    }
    tm_unlock(&peak_lock);
}

void tm_peak_watch(void) {
    tm_observe_peak(peak_reached, 1);
}

void tm_peak_write(const tm_snapshot *at_exit, tm_peak_writer write) {
    tm_lock(&peak_lock);
    const struct tm_peak_copy *copy = peak_copy;
    if (copy && tm_snapshot_bytes(&copy->snapshot) > tm_snapshot_bytes(at_exit)) {
        write(&copy->snapshot, copy->peak);
    } else {
        write(at_exit, traced_peak());
    }
    tm_unlock(&peak_lock);
}

void tm_peak_after_fork_child(void) {
    tm_unlock(&peak_lock);
}
