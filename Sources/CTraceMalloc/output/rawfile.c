/* rawfile.c: a snapshot as a raw file (the "raw file contract" RawSnapshot.swift reads), written without malloc. */
#define _GNU_SOURCE
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h> /* rename */
#include <string.h>
#include <unistd.h>

/*
 * The layout, little-endian:
 *   "TMRAW001", u32 version = 2, u32 traceback_limit, u64 pid,
 *   u32 nimages, per image: u64 start, u64 end, u64 bias, u16 + build id, u16 + path,
 *   u64 ntracebacks, per traceback: u32 nstored, u32 total_depth, u64 addresses[nstored],
 *   u64 ntraces, per trace: u32 domain, u32 traceback_index, u64 size,
 *   u64 current, u64 peak, u32 nreasons, u64 slow_captures[nreasons] (tm_unwind_stats), "TMEND001".
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

/* The loaded images, in mapped memory (the caller unmaps `*mapped` bytes). */
static tm_image *copy_images(size_t *count, size_t *mapped) {
    size_t capacity = tm_copy_images(NULL, 0) + 8;
    for (;;) {
        *mapped = capacity * sizeof(tm_image);
        tm_image *images = tm_map(*mapped);
        if (images == NULL) {
            return NULL;
        }
        *count = tm_copy_images(images, capacity);
        if (*count <= capacity) {
            return images;
        }
        tm_unmap(images, *mapped); /* libraries were loaded meanwhile */
        capacity = *count + 8;
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
    put_u32(writer, 2);
    put_u32(writer, (uint32_t)snapshot->traceback_limit);
    put_u64(writer, (uint64_t)getpid());
    put_images(writer);
    put_u64(writer, snapshot->traceback_count);
    for (size_t i = 0; i < snapshot->traceback_count; i++) {
        tm_traceback traceback = tm_traceback_get(snapshot->tracebacks[i]);
        put_u32(writer, traceback.count);
        put_u32(writer, traceback.total);
        put(writer, traceback.frames, traceback.count * sizeof(uintptr_t));
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
    tm_unwind_stats slow;
    tm_get_unwind_stats(&slow);
    put_u32(writer, sizeof slow / sizeof(uint64_t));
    put(writer, &slow, sizeof slow);
    put(writer, "TMEND001", 8);
    flush(writer);
}

uint64_t tm_snapshot_bytes(const tm_snapshot *snapshot) {
    uint64_t bytes = 0;
    for (size_t i = 0; i < snapshot->trace_count; i++) {
        bytes += snapshot->traces[i].size;
    }
    return bytes;
}

char *tm_append_string(char *at, const char *string) {
    size_t length = strlen(string);
    memcpy(at, string, length + 1);
    return at + length;
}

char *tm_append_decimal(char *at, uint64_t value) {
    char digits[24];
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    while (count) {
        *at++ = digits[--count];
    }
    *at = '\0';
    return at;
}

/*
 * A reader must see a whole file or none, even of a process killed while writing. The file is
 * written unnamed (O_TMPFILE) in its directory, synced, then linked under its name: a killed
 * writer leaves nothing behind. linkat does not replace an existing file, so over one (a pid
 * used again) the file is linked as `path`.tmp (a name the tool does not read) and renamed.
 * Where the file system has no O_TMPFILE, or /proc is missing, it is written as `path`.tmp and
 * renamed; a writer killed then leaves that .tmp behind.
 */

/* The names one raw file is written through. */
struct tm_raw_names {
    const char *path;
    char temporary[PATH_MAX]; /* path.tmp */
    char directory[PATH_MAX];
};

/* Returned when the unnamed route is closed here: write through the temporary name instead. */
#define TM_WRITE_NAMED (-1)

/* Links the unnamed file at `fd` as `name`. Returns 0 or an errno value. */
static int link_unnamed(int fd, const char *name) {
    char self[64];
    /* thread-self, not self: /proc/self/fd is gone once the main thread has exited. */
    tm_append_decimal(tm_append_string(self, "/proc/thread-self/fd/"), (uint64_t)fd);
    return linkat(AT_FDCWD, self, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
}

/* Gives the synced file at `fd` its name. */
static int publish(int fd, bool unnamed, const struct tm_raw_names *names) {
    if (unnamed) {
        int error = link_unnamed(fd, names->path);
        if (error != EEXIST) {
            return error == 0 ? 0 : TM_WRITE_NAMED;
        }
        unlink(names->temporary);
        if (link_unnamed(fd, names->temporary) != 0) {
            return TM_WRITE_NAMED;
        }
    }
    if (rename(names->temporary, names->path) != 0) {
        int error = errno;
        unlink(names->temporary);
        return error;
    }
    return 0;
}

static int write_file(const struct tm_raw_names *names, bool unnamed, const tm_snapshot *snapshot, uint64_t current, uint64_t peak) {
    struct tm_raw_writer writer = {.capacity = 256 * 1024};
    writer.fd = unnamed ? open(names->directory, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666)
                        : open(names->temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (writer.fd < 0) {
        return unnamed ? TM_WRITE_NAMED : errno;
    }
    writer.buffer = tm_map(writer.capacity);
    if (writer.buffer == NULL) {
        writer.error = ENOMEM;
    } else {
        put_snapshot(&writer, snapshot, current, peak);
        tm_unmap(writer.buffer, writer.capacity);
    }
    if (writer.error == 0 && fsync(writer.fd) != 0) {
        writer.error = errno;
    }
    if (writer.error == 0) {
        writer.error = publish(writer.fd, unnamed, names);
    } else if (!unnamed) {
        unlink(names->temporary);
    }
    close(writer.fd); /* after fsync, nothing is left for close to report */
    return writer.error;
}

int tm_raw_write(const char *path, const tm_snapshot *snapshot, uint64_t current, uint64_t peak) {
    struct tm_raw_names names = {.path = path};
    const char *slash = strrchr(path, '/');
    if (strlen(path) + sizeof ".tmp" > sizeof names.temporary || slash == NULL) {
        return ENAMETOOLONG;
    }
    tm_append_string(tm_append_string(names.temporary, path), ".tmp");
    size_t directory_length = slash == path ? 1 : (size_t)(slash - path);
    memcpy(names.directory, path, directory_length);
    names.directory[directory_length] = '\0';

    int error = write_file(&names, true, snapshot, current, peak);
    if (error == TM_WRITE_NAMED) {
        error = write_file(&names, false, snapshot, current, peak);
    }
    return error;
}
