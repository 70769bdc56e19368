/* memory.c: the tracer's own memory, mapped from the kernel and counted, never from malloc. */
#include "capture.h"

#include <string.h>
#include <sys/mman.h>

void *tm_map(size_t size) {
    void *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        return NULL;
    }
    atomic_fetch_add_explicit(&tm_state.mapped, size, memory_order_relaxed);
    return memory;
}

void tm_unmap(void *memory, size_t size) {
    if (memory == NULL) {
        return;
    }
    munmap(memory, size);
    atomic_fetch_sub_explicit(&tm_state.mapped, size, memory_order_relaxed);
}

bool tm_buffer_reserve(struct tm_buffer *buffer, size_t bytes) {
    if (buffer->capacity - buffer->size >= bytes) {
        return true;
    }
    size_t capacity = buffer->capacity ? buffer->capacity : 64 * 1024;
    while (capacity - buffer->size < bytes) {
        capacity *= 2;
    }
    unsigned char *data = tm_map(capacity);
    if (data == NULL) {
        return false;
    }
    if (buffer->size) {
        memcpy(data, buffer->data, buffer->size);
    }
    tm_unmap(buffer->data, buffer->capacity);
    buffer->data = data;
    buffer->capacity = capacity;
    return true;
}

void tm_buffer_free(struct tm_buffer *buffer) {
    tm_unmap(buffer->data, buffer->capacity);
    *buffer = (struct tm_buffer){0};
}
