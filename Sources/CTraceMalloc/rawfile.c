/* rawfile.c: a snapshot as a raw file (the "raw file contract" RawSnapshot.swift reads), written without malloc. */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h> /* rename */
#include <string.h>
#include <unistd.h>

/*
 * The layout, little-endian:
 *   "TMRAW001", u32 version = 1, u32 traceback_limit, u64 pid,
 *   u32 nimages, per image: u64 start, u64 end, u64 bias, u16 + build id, u16 + path,
 *   u64 ntracebacks, per traceback: u32 nstored, u32 total_depth, u64 addresses[nstored],
 *   u64 ntraces, per trace: u32 domain, u32 traceback_index, u64 size,
 *   u64 current, u64 peak, "TMEND001".
 * Addresses stay raw: the traced process may not have the Swift runtime, and symbolising in it
 * would allocate. `swift-tracemalloc run` symbolises them with the images listed here.
 */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the raw format is written in memory order");

/* Buffered output to a file descriptor, through mapped memory. The first error sticks. */
struct tm_raw_writer {
    int fd;
    unsigned char *buffer;
    size_t used, capacity;
    int error;
};

static void flush(struct tm_raw_writer *writer) {
    size_t done = 0;
    while (done < writer->used && writer->error == 0) {
        ssize_t count = write(writer->fd, writer->buffer + done, writer->used - done);
        if (count > 0) {
            done += (size_t)count;
        } else if (count == 0) {
            writer->error = EIO;
        } else if (errno != EINTR) {
            writer->error = errno;
        }
    }
    writer->used = 0;
}

static void put(struct tm_raw_writer *writer, const void *bytes, size_t size) {
    const unsigned char *from = bytes;
    while (size > 0 && writer->error == 0) {
        if (writer->used == writer->capacity) {
            flush(writer);
        }
        size_t part = writer->capacity - writer->used < size ? writer->capacity - writer->used : size;
        memcpy(writer->buffer + writer->used, from, part);
        writer->used += part;
        from += part;
        size -= part;
    }
}

static void put_u16(struct tm_raw_writer *writer, uint16_t value) { put(writer, &value, sizeof value); }
static void put_u32(struct tm_raw_writer *writer, uint32_t value) { put(writer, &value, sizeof value); }
static void put_u64(struct tm_raw_writer *writer, uint64_t value) { put(writer, &value, sizeof value); }

/* The loaded images, in mapped memory (the caller unmaps `*mapped` bytes). Images without a
   file (the vDSO) are left out: there is nothing to symbolise them from. */
static tm_image *copy_images(size_t *count, size_t *mapped) {
    size_t capacity = tm_copy_images(NULL, 0) + 8;
    for (;;) {
        *mapped = capacity * sizeof(tm_image);
        tm_image *images = tm_map(*mapped);
        if (images == NULL) {
            return NULL;
        }
        size_t total = tm_copy_images(images, capacity);
        if (total <= capacity) {
            size_t kept = 0;
            for (size_t i = 0; i < total; i++) {
                if (images[i].path[0] == '/') {
                    images[kept++] = images[i];
                }
            }
            *count = kept;
            return images;
        }
        tm_unmap(images, *mapped); /* libraries were loaded meanwhile */
        capacity = total + 8;
    }
}

static void put_images(struct tm_raw_writer *writer) {
    size_t count = 0, mapped = 0;
    tm_image *images = copy_images(&count, &mapped);
    if (images == NULL) {
        writer->error = ENOMEM;
        return;
    }
    put_u32(writer, (uint32_t)count);
    for (size_t i = 0; i < count; i++) {
        const tm_image *image = &images[i];
        size_t path_length = strnlen(image->path, PATH_MAX);
        put_u64(writer, image->start);
        put_u64(writer, image->end);
        put_u64(writer, image->bias);
        put_u16(writer, (uint16_t)image->build_id_size);
        put(writer, image->build_id, image->build_id_size);
        put_u16(writer, (uint16_t)path_length);
        put(writer, image->path, path_length);
    }
    tm_unmap(images, mapped);
}

static void put_snapshot(struct tm_raw_writer *writer, const tm_snapshot *snapshot, uint64_t current, uint64_t peak) {
    put(writer, "TMRAW001", 8);
    put_u32(writer, 1);
    put_u32(writer, (uint32_t)snapshot->traceback_limit);
    put_u64(writer, (uint64_t)getpid());
    put_images(writer);
    put_u64(writer, snapshot->traceback_count);
    for (size_t i = 0; i < snapshot->traceback_count; i++) {
        tm_traceback traceback = tm_traceback_get(snapshot->tracebacks[i]);
        /* The reader requires nstored <= total_depth; the core may store a few leading runtime
           frames beyond a depth capped at 65535. */
        uint32_t stored = traceback.count <= traceback.total ? traceback.count : traceback.total;
        put_u32(writer, stored);
        put_u32(writer, traceback.total);
        put(writer, traceback.frames, stored * sizeof(uintptr_t));
    }
    put_u64(writer, snapshot->trace_count);
    for (size_t i = 0; i < snapshot->trace_count; i++) {
        const tm_trace *trace = &snapshot->traces[i];
        put_u32(writer, trace->domain);
        put_u32(writer, trace->traceback);
        put_u64(writer, trace->size);
    }
    put_u64(writer, current);
    put_u64(writer, peak);
    put(writer, "TMEND001", 8);
    flush(writer);
}

int tm_raw_write(const char *path, const tm_snapshot *snapshot, uint64_t current, uint64_t peak) {
    /* Written under a name the tool does not read (it ends in .tmp, not .raw), synced, then
       renamed: a reader, or a process killed meanwhile, never leaves a partial .raw file. */
    char temporary[PATH_MAX];
    size_t length = strlen(path);
    if (length + sizeof ".tmp" > sizeof temporary) {
        return ENAMETOOLONG;
    }
    memcpy(temporary, path, length);
    memcpy(temporary + length, ".tmp", sizeof ".tmp");

    struct tm_raw_writer writer = {.capacity = 256 * 1024};
    writer.buffer = tm_map(writer.capacity);
    if (writer.buffer == NULL) {
        return ENOMEM;
    }
    writer.fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (writer.fd < 0) {
        writer.error = errno;
    } else {
        put_snapshot(&writer, snapshot, current, peak);
        if (writer.error == 0 && fsync(writer.fd) != 0) {
            writer.error = errno;
        }
        if (close(writer.fd) != 0 && writer.error == 0 && errno != EINTR) {
            writer.error = errno;
        }
        if (writer.error == 0 && rename(temporary, path) != 0) {
            writer.error = errno;
        }
        if (writer.error != 0) {
            unlink(temporary);
        }
    }
    tm_unmap(writer.buffer, writer.capacity);
    return writer.error;
}
