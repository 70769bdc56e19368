/* snapshot.c: copying every trace out of the tables, with the tracebacks they use listed once. */
#include "capture.h"

#include <string.h>

/* Replaces each trace's interned id by an index into the snapshot's list of ids, which holds
   each used id once, in order of first use. `index_of` maps an id to its index + 1. */
static bool number_tracebacks(tm_snapshot *snapshot, struct tm_buffer *ids) {
    uint32_t largest = tm_traceback_count();
    size_t map_size = ((size_t)largest + 1) * sizeof(uint32_t);
    uint32_t *index_of = tm_map(map_size);
    if (index_of == NULL) {
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < snapshot->trace_count && ok; i++) {
        uint32_t id = snapshot->traces[i].traceback;
        if (index_of[id] == 0) {
            ok = tm_buffer_reserve(ids, sizeof id);
            if (ok) {
                memcpy(ids->data + ids->size, &id, sizeof id);
                ids->size += sizeof id;
                index_of[id] = (uint32_t)(ids->size / sizeof id);
            }
        }
        snapshot->traces[i].traceback = index_of[id] - 1;
    }
    tm_unmap(index_of, map_size);
    return ok;
}

int tm_take_snapshot(tm_snapshot *snapshot) {
    *snapshot = (tm_snapshot){0};
    if (!tm_is_tracing()) {
        return -2;
    }
    uint8_t busy = tm_thread.busy;
    tm_thread.busy = 1;
    snapshot->traceback_limit = tm_get_traceback_limit();
    struct tm_buffer traces = {0}, ids = {0};
    bool ok = tm_traces_copy(&traces);
    snapshot->traces = (tm_trace *)traces.data;
    snapshot->trace_count = traces.size / sizeof(tm_trace);
    ok = ok && number_tracebacks(snapshot, &ids);
    snapshot->trace_storage_ = traces.capacity;
    snapshot->tracebacks = (uint32_t *)ids.data;
    snapshot->traceback_count = ids.size / sizeof(uint32_t);
    snapshot->traceback_storage_ = ids.capacity;
    tm_thread.busy = busy;
    if (!ok) {
        tm_snapshot_free(snapshot);
        return -1;
    }
    return 0;
}

void tm_snapshot_free(tm_snapshot *snapshot) {
    tm_unmap(snapshot->traces, snapshot->trace_storage_);
    tm_unmap(snapshot->tracebacks, snapshot->traceback_storage_);
    *snapshot = (tm_snapshot){0};
}
