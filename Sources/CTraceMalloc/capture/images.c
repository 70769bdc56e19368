/* images.c: the table of loaded images: ranges, build ids, and which keep frame pointers. */
#define _GNU_SOURCE
#include "capture.h"

#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

/*
 * Which images keep frame pointers is read from their own unwind tables, not guessed from their
 * names: measured, Swift code is not enough (the toolchain's libTesting, libXCTest and
 * libswiftDispatch use %rbp as a general register), while some C is (libdispatch,
 * lib_FoundationICU). An image keeps frame pointers when its .eh_frame has functions whose CFA
 * is %rbp-based and almost none (under 1 in 20) that save %rbp without making it the CFA, which
 * is what a function using %rbp as a general register does. Functions that never touch %rbp
 * (leaves, mostly) do not count either way. Measured: libswiftCore 15554 to 7, Foundation
 * 10704 to 0, libdispatch 447 to 0; libc 94 to 1466, libTesting 320 to 922.
 */

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
    uint32_t *image_flags;   /* per image */
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

/* ---- reading DWARF call frame information -------------------------------------------- */

/* A bounded reader: every read checks `end`, so a malformed table cannot run us off a
   mapping. */
struct tm_reader {
    const uint8_t *at, *end;
    bool failed;
};

static uint64_t read_bytes(struct tm_reader *r, size_t size) {
    if (r->failed || (size_t)(r->end - r->at) < size) {
        r->failed = true;
        return 0;
    }
    uint64_t value = 0;
    memcpy(&value, r->at, size); /* little-endian */
    r->at += size;
    return value;
}

static uint64_t read_uleb(struct tm_reader *r) {
    uint64_t value = 0;
    for (unsigned shift = 0; !r->failed; shift += 7) {
        uint8_t byte = (uint8_t)read_bytes(r, 1);
        if (shift < 64) {
            value |= (uint64_t)(byte & 0x7f) << shift;
        }
        if (!(byte & 0x80)) {
            break;
        }
    }
    return value;
}

static void skip_bytes(struct tm_reader *r, uint64_t size) {
    if (r->failed || (uint64_t)(r->end - r->at) < size) {
        r->failed = true;
        return;
    }
    r->at += size;
}

/* Reads a pointer in DW_EH_PE encoding `encoding`; `base` is the data-relative base. */
static uintptr_t read_encoded(struct tm_reader *r, uint8_t encoding, uintptr_t base) {
    if (encoding == 0xff) { /* DW_EH_PE_omit */
        return 0;
    }
    uintptr_t field = (uintptr_t)r->at;
    uint64_t value;
    switch (encoding & 0x0f) {
    case 0x00: value = read_bytes(r, 8); break;                      /* absptr */
    case 0x01: value = read_uleb(r); break;                          /* uleb128 */
    case 0x02: value = read_bytes(r, 2); break;                      /* udata2 */
    case 0x03: value = read_bytes(r, 4); break;                      /* udata4 */
    case 0x04: value = read_bytes(r, 8); break;                      /* udata8 */
    case 0x09: read_uleb(r); value = 0; break;                       /* sleb128: only skipped */
    case 0x0a: value = (uint64_t)(int64_t)(int16_t)read_bytes(r, 2); break;
    case 0x0b: value = (uint64_t)(int64_t)(int32_t)read_bytes(r, 4); break;
    case 0x0c: value = read_bytes(r, 8); break;
    default: r->failed = true; return 0;
    }
    switch (encoding & 0x70) {
    case 0x10: value += field; break; /* pcrel */
    case 0x30: value += base; break;  /* datarel */
    default: break;
    }
    return (uintptr_t)value;
}

/* What a CIE says about the FDEs that use it. */
struct tm_cie {
    const uint8_t *address;
    uint8_t pointer_encoding;
    bool has_augmentation_data;
    bool valid;
};

static struct tm_cie parse_cie(const uint8_t *address, const uint8_t *end) {
    struct tm_cie cie = {.address = address, .pointer_encoding = 0};
    struct tm_reader r = {address, end, false};
    uint64_t length = read_bytes(&r, 4);
    if (length == 0xffffffff) {
        length = read_bytes(&r, 8);
    }
    if (r.failed || length > (uint64_t)(r.end - r.at)) {
        return cie;
    }
    r.end = r.at + length;
    if (read_bytes(&r, 4) != 0) { /* not a CIE */
        return cie;
    }
    uint8_t version = (uint8_t)read_bytes(&r, 1);
    const char *augmentation = (const char *)r.at;
    size_t augmentation_length = strnlen(augmentation, (size_t)(r.end - r.at));
    skip_bytes(&r, augmentation_length + 1);
    if (strstr(augmentation, "eh") == augmentation) {
        skip_bytes(&r, 8);
    }
    read_uleb(&r); /* code alignment */
    read_uleb(&r); /* data alignment (sleb: skipping is the same) */
    if (version == 1) {
        skip_bytes(&r, 1);
    } else {
        read_uleb(&r);
    }
    if (augmentation[0] == 'z') {
        cie.has_augmentation_data = true;
        read_uleb(&r);
        for (const char *c = augmentation + 1; *c && !r.failed; c++) {
            switch (*c) {
            case 'R': cie.pointer_encoding = (uint8_t)read_bytes(&r, 1); break;
            case 'P': {
                uint8_t encoding = (uint8_t)read_bytes(&r, 1);
                read_encoded(&r, encoding & 0x7f, 0);
                break;
            }
            case 'L': skip_bytes(&r, 1); break;
            default: break; /* 'S', 'B', 'G': no data */
            }
        }
    }
    cie.valid = !r.failed;
    return cie;
}

/* Walks one FDE's call frame instructions: does the CFA become %rbp-based, is %rbp saved? */
static void scan_instructions(struct tm_reader *r, uint8_t pointer_encoding, bool *cfa_rbp, bool *saves_rbp) {
    enum { RBP = 6 };
    while (!r->failed && r->at < r->end) {
        uint8_t op = (uint8_t)read_bytes(r, 1);
        switch (op & 0xc0) {
        case 0x40: continue;                                               /* advance_loc */
        case 0x80: *saves_rbp |= (op & 0x3f) == RBP; read_uleb(r); continue; /* offset */
        case 0xc0: continue;                                               /* restore */
        default: break;
        }
        uint64_t reg;
        switch (op) {
        case 0x00: case 0x0a: case 0x0b: break; /* nop, remember_state, restore_state */
        case 0x01: read_encoded(r, pointer_encoding, 0); break; /* set_loc */
        case 0x02: skip_bytes(r, 1); break;
        case 0x03: skip_bytes(r, 2); break;
        case 0x04: skip_bytes(r, 4); break;
        case 0x05: case 0x11: /* offset_extended(_sf) */
            reg = read_uleb(r);
            *saves_rbp |= reg == RBP;
            read_uleb(r);
            break;
        case 0x06: case 0x07: case 0x08: case 0x0d: /* restore_ext, undefined, same_value, def_cfa_register */
            reg = read_uleb(r);
            if (op == 0x0d) {
                *cfa_rbp |= reg == RBP;
            }
            break;
        case 0x09: case 0x14: case 0x15: case 0x2f: /* register, val_offset(_sf), GNU_negative_offset_ext */
            read_uleb(r);
            read_uleb(r);
            break;
        case 0x0c: case 0x12: /* def_cfa(_sf) */
            reg = read_uleb(r);
            *cfa_rbp |= reg == RBP;
            read_uleb(r);
            break;
        case 0x0e: case 0x13: case 0x2e: read_uleb(r); break; /* def_cfa_offset(_sf), GNU_args_size */
        case 0x0f: skip_bytes(r, read_uleb(r)); break;              /* def_cfa_expression */
        case 0x10: case 0x16:                                  /* expression, val_expression */
            reg = read_uleb(r);
            *saves_rbp |= op == 0x10 && reg == RBP;
            skip_bytes(r, read_uleb(r));
            break;
        default: r->failed = true; break;
        }
    }
}

/* The classification described at the top of this file, over one .eh_frame. */
static bool eh_frame_keeps_frame_pointers(const uint8_t *eh_frame, const uint8_t *end) {
    struct tm_cie cies[8] = {{0}};
    size_t with_frame = 0, rbp_as_register = 0;
    const uint8_t *at = eh_frame;
    while ((size_t)(end - at) >= 4) {
        struct tm_reader r = {at, end, false};
        uint64_t length = read_bytes(&r, 4);
        if (length == 0) {
            break;
        }
        if (length == 0xffffffff) {
            length = read_bytes(&r, 8);
        }
        if (r.failed || length > (uint64_t)(end - r.at)) {
            break;
        }
        const uint8_t *record_end = r.at + length;
        r.end = record_end;
        const uint8_t *id_field = r.at;
        uint32_t cie_offset = (uint32_t)read_bytes(&r, 4);
        if (cie_offset != 0 && cie_offset <= (uintptr_t)(id_field - eh_frame)) {
            const uint8_t *cie_address = id_field - cie_offset;
            struct tm_cie *cie = &cies[((uintptr_t)cie_address >> 2) % 8];
            if (cie->address != cie_address) {
                *cie = parse_cie(cie_address, end);
            }
            if (cie->valid) {
                read_encoded(&r, cie->pointer_encoding, 0); /* initial location */
                read_encoded(&r, cie->pointer_encoding & 0x0f, 0); /* address range */
                if (cie->has_augmentation_data) {
                    skip_bytes(&r, read_uleb(&r));
                }
                bool cfa_rbp = false, saves_rbp = false;
                scan_instructions(&r, cie->pointer_encoding, &cfa_rbp, &saves_rbp);
                with_frame += cfa_rbp;
                rbp_as_register += saves_rbp && !cfa_rbp;
            }
        }
        at = record_end;
    }
    return with_frame > 0 && rbp_as_register * 20 <= with_frame;
}

static bool image_keeps_frame_pointers(const struct dl_phdr_info *info) {
    const ElfW(Phdr) *header = NULL;
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME) {
            header = &info->dlpi_phdr[i];
        }
    }
    if (header == NULL || header->p_memsz < 8) {
        return false;
    }
    const uint8_t *hdr = (const uint8_t *)(info->dlpi_addr + header->p_vaddr);
    if (hdr[0] != 1) {
        return false;
    }
    struct tm_reader r = {hdr + 4, hdr + header->p_memsz, false};
    uintptr_t eh_frame = read_encoded(&r, hdr[1], (uintptr_t)hdr);
    if (r.failed || eh_frame == 0) {
        return false;
    }
    /* .eh_frame ends with a zero terminator; the end of its segment bounds it regardless. */
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + segment->p_vaddr;
        if (segment->p_type == PT_LOAD && eh_frame >= start && eh_frame < start + segment->p_memsz) {
            return eh_frame_keeps_frame_pointers((const uint8_t *)eh_frame, (const uint8_t *)(start + segment->p_memsz));
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

/* The flags of an image, reused from the previous table when the same file sits at the same
   address (an .eh_frame scan of libswiftCore takes a few milliseconds). */
static uint32_t image_flags(const struct tm_build *build, const struct dl_phdr_info *info, const char *path, uintptr_t start) {
    const struct tm_image_table *previous = build->previous;
    for (size_t i = 0; previous && i < previous->image_count; i++) {
        if (previous->images[i].start == start && strcmp(previous->images[i].path, path) == 0) {
            return previous->image_flags[i];
        }
    }
    uint32_t flags = 0;
    if (tm_image_is_runtime(path)) {
        flags |= TM_IMAGE_RUNTIME;
    }
    if (image_keeps_frame_pointers(info)) {
        flags |= TM_IMAGE_FRAME_POINTERS;
    }
    return flags;
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
    uintptr_t start = UINTPTR_MAX, end = 0;
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type != PT_LOAD) {
            continue;
        }
        uintptr_t low = info->dlpi_addr + segment->p_vaddr;
        start = low < start ? low : start;
        end = low + segment->p_memsz > end ? low + segment->p_memsz : end;
        segments += (segment->p_flags & PF_X) != 0;
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
    uint32_t flags = image_flags(build, info, image->path, start);
    image->is_runtime = flags & TM_IMAGE_RUNTIME;
    image->keeps_frame_pointers = flags & TM_IMAGE_FRAME_POINTERS;
    table->image_flags[table->image_count++] = flags;
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        if (segment->p_type == PT_LOAD && (segment->p_flags & PF_X)) {
            uintptr_t low = info->dlpi_addr + segment->p_vaddr;
            table->ranges[table->range_count++] = (struct tm_range){low, low + segment->p_memsz, flags};
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
        + build.images * (sizeof(tm_image) + sizeof(uint32_t)) + build.ranges * sizeof(struct tm_range)
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
    table->image_flags = (uint32_t *)(table->ranges + build.ranges);
    table->strings = (char *)(table->image_flags + build.images);
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
