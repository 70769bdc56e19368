/* images.c: the table of loaded images: ranges, build ids, which keep frame pointers, unwind tables. */
#define _GNU_SOURCE
#include "capture.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

/* Which images keep frame pointers, and their unwind tables, come from unwind_tables.c. What is
   kept of an image beside its tm_image is reused by the next table while the same file sits at
   the same address (compiling libc's table takes 1.7 ms and keeps 400 KiB of rows, measured). */
struct tm_image_unwind {
    uint32_t flags;
    const struct tm_unwind_table *table;
};

/* A table is built whole, then published with one atomic store; readers (the hooks) never
   lock. Superseded tables are never unmapped, because a reader may still be searching one;
   they are replaced only when a stack meets a library loaded since, and each costs its
   strings, its ranges and the 64 KiB granule index (counted in tracemallocMemory()). */
struct tm_image_table {
    size_t mapped;
    unsigned long long adds, subs; /* dl_iterate_phdr's load and unload counters at build time */
    uint64_t generation;           /* tm_images_generation: one more than the previous table's */
    size_t image_count, range_count;
    tm_image *images;
    struct tm_range *ranges; /* sorted by start */
    struct tm_image_unwind *image_unwind; /* per image */
    char *strings, *strings_end;
    struct tm_image_index *index; /* the ranges by granule (capture.h) */
};

static _Atomic(struct tm_image_table *) tm_images;
_Atomic(const struct tm_image_index *) tm_image_index;
/* Serialises builders. Taken with trylock from a hook: a thread that finds a build under way
   goes on with the current table (its capture falls back to the CFI unwinder). Not taken by
   the fork handlers; the child resets it, since a build only publishes a finished table. */
static tm_spinlock tm_images_lock;

/* ---- names ----------------------------------------------------------------------------- */

bool tm_image_is_runtime(const char *path) {
    static const struct { const char *name; bool any_suffix; } runtime[] = {
        {"libc", false}, {"ld-linux", true}, {"libm", false}, {"libpthread", false},
        {"libdl", false}, {"libgcc_s", false}, {"libstdc++", false}, {"libswiftCore", false},
        {"libswift_Concurrency", false}, {"libswiftSynchronization", false},
        {"libswift_StringProcessing", false}, {"libswift_RegexParser", false},
        {"libswiftDispatch", false}, {"libswiftSwiftOnoneSupport", false}, {"libFoundation", true}, {"lib_FoundationICU", false},
        {"libdispatch", false}, {"libBlocksRuntime", false}, {"libTraceMallocPreload", false},
    };
    if (path == NULL) {
        return false;
    }
    const char *slash = strrchr(path, '/');
    const char *file = slash ? slash + 1 : path;
    for (size_t i = 0; i < sizeof runtime / sizeof runtime[0]; i++) {
        size_t length = strlen(runtime[i].name);
        if (strncmp(file, runtime[i].name, length) != 0) {
            continue;
        }
        char next = file[length];
        if (runtime[i].any_suffix || next == '.' || next == '-' || next == '\0') {
            return true;
        }
    }
    return false;
}

/* ---- building the table ---------------------------------------------------------------- */

uint32_t tm_gnu_build_id(const void *notes, size_t size, size_t alignment, uint8_t id[32]) {
    /* Names and descriptors are padded to the segment's alignment: 4, or 8 for notes such as
       .note.gnu.property. */
    size_t padding = alignment == 8 ? 8 : 4;
    const uint8_t *at = notes;
    const uint8_t *end = at + size;
    while ((size_t)(end - at) >= sizeof(ElfW(Nhdr))) {
        ElfW(Nhdr) note;
        memcpy(&note, at, sizeof note);
        size_t name_size = (note.n_namesz + padding - 1) / padding * padding;
        size_t desc_size = (note.n_descsz + padding - 1) / padding * padding;
        const uint8_t *name = at + sizeof note;
        if (name_size > (size_t)(end - name) || note.n_descsz > (size_t)(end - name) - name_size) {
            return 0;
        }
        const uint8_t *desc = name + name_size;
        if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && memcmp(name, "GNU", 4) == 0) {
            if (note.n_descsz > 32) {
                return 0;
            }
            memcpy(id, desc, note.n_descsz);
            return note.n_descsz;
        }
        if (desc_size > (size_t)(end - desc)) {
            return 0;
        }
        at = desc + desc_size;
    }
    return 0;
}

static void read_build_id(const struct dl_phdr_info *info, tm_image *image) {
    for (size_t i = 0; i < info->dlpi_phnum && image->build_id_size == 0; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type == PT_NOTE) {
            image->build_id_size = tm_gnu_build_id((const void *)(info->dlpi_addr + segment->p_vaddr),
                                                   segment->p_memsz, segment->p_align, image->build_id);
        }
    }
}

struct tm_build {
    struct tm_image_table *table;
    const struct tm_image_table *previous; /* to reuse classifications */
    size_t images, ranges, string_bytes;   /* counting pass */
    bool counting;
};

static const char *copy_string(struct tm_image_table *table, const char *string) {
    size_t length = strlen(string) + 1;
    if ((size_t)(table->strings_end - table->strings) < length) {
        return "";
    }
    char *copy = table->strings;
    memcpy(copy, string, length);
    table->strings += length;
    return copy;
}

/* The flags and unwind table of an image, reused from the previous table when the same file sits
   at the same address. */
static struct tm_image_unwind image_unwind(const struct tm_build *build, const struct dl_phdr_info *info, const char *path,
                                           uintptr_t text_start, uintptr_t start) {
    const struct tm_image_table *previous = build->previous;
    for (size_t i = 0; previous && i < previous->image_count; i++) {
        if (previous->images[i].start == start && strcmp(previous->images[i].path, path) == 0) {
            return previous->image_unwind[i];
        }
    }
    struct tm_image_cfi cfi = tm_compile_unwind_table(info, text_start);
    uint32_t flags = 0;
    if (tm_image_is_runtime(path)) {
        flags |= TM_IMAGE_RUNTIME;
    }
    if (cfi.keeps_frame_pointers) {
        flags |= TM_IMAGE_FRAME_POINTERS;
    }
    return (struct tm_image_unwind){flags, cfi.table};
}

static int build_image(struct dl_phdr_info *info, size_t size, void *context) {
    struct tm_build *build = context;
    (void)size;
    char absolute[4096];
    const char *path = info->dlpi_name;
    if (path == NULL || path[0] == '\0') {
        ssize_t length = readlink("/proc/self/exe", absolute, sizeof absolute - 1);
        absolute[length > 0 ? length : 0] = '\0';
        path = absolute;
    } else if (path[0] != '/' && strchr(path, '/') != NULL) {
        /* dlopen("./libplugin.so") names the library as it was given. It is made absolute with
           the current directory (getcwd fills our buffer, no malloc), so that it can be
           symbolised after the process has ended; names without a '/' (the vDSO) have no file. */
        size_t length = strlen(path);
        if (length + 2 < sizeof absolute && getcwd(absolute, sizeof absolute - length - 1) != NULL) {
            char *end = absolute + strlen(absolute);
            *end++ = '/';
            memcpy(end, path, length + 1);
            path = absolute;
        }
    }
    size_t segments = 0;
    uintptr_t start = UINTPTR_MAX, end = 0, text_start = UINTPTR_MAX;
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD) {
            continue;
        }
        uintptr_t low = info->dlpi_addr + segment->p_vaddr;
        start = low < start ? low : start;
        end = low + segment->p_memsz > end ? low + segment->p_memsz : end;
        if (segment->p_flags & PF_X) {
            segments += 1;
            text_start = low < text_start ? low : text_start;
        }
    }
    if (build->counting) {
        build->images += 1;
        build->ranges += segments;
        build->string_bytes += strlen(path) + 1;
        return 0;
    }
    struct tm_image_table *table = build->table;
    if (table->image_count == build->images || table->range_count + segments > build->ranges) {
        return 0; /* loaded between the two passes: the next refresh picks it up */
    }
    tm_image *image = &table->images[table->image_count];
    *image = (tm_image){.path = copy_string(table, path), .bias = info->dlpi_addr, .start = start, .end = end};
    read_build_id(info, image);
    struct tm_image_unwind unwind = image_unwind(build, info, image->path, text_start, start);
    image->is_runtime = unwind.flags & TM_IMAGE_RUNTIME;
    image->keeps_frame_pointers = unwind.flags & TM_IMAGE_FRAME_POINTERS;
    table->image_unwind[table->image_count++] = unwind;
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type == PT_LOAD && (segment->p_flags & PF_X)) {
            uintptr_t low = info->dlpi_addr + segment->p_vaddr;
            table->ranges[table->range_count++] = (struct tm_range){low, low + segment->p_memsz, unwind.flags, unwind.table};
        }
    }
    table->adds = info->dlpi_adds;
    table->subs = info->dlpi_subs;
    return 0;
}

/* Fills the granule index of the table's sorted ranges. */
static void index_ranges(struct tm_image_table *table) {
    struct tm_image_index *index = table->index;
    index->ranges = table->ranges;
    const uint64_t unusable = UINT64_C(0xffffffff) << 32; /* no granule has this number + 1 */
    for (size_t i = 0; i < table->range_count && i < 0xffff; i++) {
        const struct tm_range *range = &table->ranges[i];
        if (range->end <= range->start) {
            continue;
        }
        uint64_t number = i + 1;
        for (uint64_t granule = range->start >> TM_GRANULE_BITS; granule <= (range->end - 1) >> TM_GRANULE_BITS; granule++) {
            uint64_t *slot = &index->slots[granule & (TM_INDEX_SLOTS - 1)];
            uint64_t tag = (granule + 1) << 32;
            if (*slot == 0) {
                *slot = tag | number;
            } else if ((*slot & ~UINT64_C(0xffffffff)) == tag && (*slot & 0xffff0000u) == 0) {
                *slot |= number << 16;
            } else {
                *slot = unusable;
            }
        }
    }
}

static void sort_ranges(struct tm_range *ranges, size_t count) {
    for (size_t i = 1; i < count; i++) { /* insertion sort: tens of ranges, mostly in order */
        struct tm_range range = ranges[i];
        size_t j = i;
        for (; j > 0 && ranges[j - 1].start > range.start; j--) {
            ranges[j] = ranges[j - 1];
        }
        ranges[j] = range;
    }
}

/* Builds and publishes a new table. The caller holds tm_images_lock. */
static bool rebuild_unlocked(void) {
    struct tm_build build = {.previous = atomic_load_explicit(&tm_images, memory_order_acquire), .counting = true};
    dl_iterate_phdr(build_image, &build);
    build.images += 8; /* slack for libraries loaded between the passes */
    build.ranges += 16;
    build.string_bytes += 8 * 4096;
    size_t size = sizeof(struct tm_image_table) + sizeof(struct tm_image_index)
        + build.images * (sizeof(tm_image) + sizeof(struct tm_image_unwind)) + build.ranges * sizeof(struct tm_range)
        + build.string_bytes;
    struct tm_image_table *table = tm_map(size);
    if (table == NULL) {
        return false;
    }
    table->mapped = size;
    table->generation = build.previous ? build.previous->generation + 1 : 1;
    table->index = (struct tm_image_index *)(table + 1);
    table->images = (tm_image *)(table->index + 1);
    table->ranges = (struct tm_range *)(table->images + build.images);
    table->image_unwind = (struct tm_image_unwind *)(table->ranges + build.ranges);
    table->strings = (char *)(table->image_unwind + build.images);
    table->strings_end = (char *)table + size;
    build.table = table;
    build.counting = false;
    dl_iterate_phdr(build_image, &build);
    sort_ranges(table->ranges, table->range_count);
    index_ranges(table);
    atomic_store_explicit(&tm_images, table, memory_order_release);
    atomic_store_explicit(&tm_image_index, table->index, memory_order_release);
    return true;
}

bool tm_images_prepare(void) {
    if (atomic_load_explicit(&tm_images, memory_order_acquire) != NULL) {
        return true;
    }
    tm_lock(&tm_images_lock);
    bool ready = atomic_load_explicit(&tm_images, memory_order_acquire) != NULL || rebuild_unlocked();
    tm_unlock(&tm_images_lock);
    return ready;
}

static int read_counters(struct dl_phdr_info *info, size_t size, void *context) {
    (void)size;
    unsigned long long *counters = context;
    counters[0] = info->dlpi_adds;
    counters[1] = info->dlpi_subs;
    return 1; /* the first image is enough */
}

/* Rebuilds the table if a library was loaded or unloaded since it was built. */
static void refresh(const struct tm_image_table *table) {
    unsigned long long counters[2] = {0, 0};
    dl_iterate_phdr(read_counters, counters);
    if (table && counters[0] == table->adds && counters[1] == table->subs) {
        return;
    }
    if (tm_trylock(&tm_images_lock)) {
        if (atomic_load_explicit(&tm_images, memory_order_acquire) == table) {
            rebuild_unlocked();
        }
        tm_unlock(&tm_images_lock);
    }
}

static const struct tm_range *find_range(const struct tm_image_table *table, uintptr_t address) {
    if (table == NULL) {
        return NULL;
    }
    size_t low = 0, high = table->range_count;
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (address < table->ranges[middle].start) {
            high = middle;
        } else if (address >= table->ranges[middle].end) {
            low = middle + 1;
        } else {
            return &table->ranges[middle];
        }
    }
    return NULL;
}

const struct tm_range *tm_image_range_search(uintptr_t address) {
    const struct tm_image_table *table = atomic_load_explicit(&tm_images, memory_order_acquire);
    const struct tm_range *range = find_range(table, address);
    if (range == NULL) {
        refresh(table);
        range = find_range(atomic_load_explicit(&tm_images, memory_order_acquire), address);
    }
    return range;
}

void tm_images_after_fork_child(void) {
    tm_unlock(&tm_images_lock);
}

/* The table as it is now, rebuilt first if the loader has loaded or unloaded a library. */
static const struct tm_image_table *current_table(void) {
    if (!tm_images_prepare()) {
        return NULL;
    }
    refresh(atomic_load_explicit(&tm_images, memory_order_acquire));
    return atomic_load_explicit(&tm_images, memory_order_acquire);
}

size_t tm_copy_images(tm_image *images, size_t capacity) {
    const struct tm_image_table *table = current_table();
    size_t count = 0;
    for (size_t i = 0; table && i < table->image_count; i++) {
        if (table->images[i].path[0] == '/') {
            if (count < capacity) {
                images[count] = table->images[i];
            }
            count += 1;
        }
    }
    return count;
}

uint64_t tm_images_generation(void) {
    const struct tm_image_table *table = current_table();
    return table ? table->generation : 0;
}
