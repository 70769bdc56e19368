/* unwind_tables.c: an image's DWARF call frame information, compiled into rows the walk can follow. */
#define _GNU_SOURCE
#include "capture.h"

#include <elf.h>
#include <link.h>
#include <string.h>

/*
 * Code without frame pointers (gcc -O2, plain swiftc -O, glibc) can only be unwound with the
 * call frame information in its .eh_frame: a program per function that says, for every
 * instruction, where the caller's stack pointer (the CFA), %rbp and return address are. libgcc
 * looks the function up and runs that program for every frame of every traceback: ~570 ns a
 * frame, measured (binary-trees in C, 120x). So, once per image and outside the hooks when it
 * can be, every program is run here to its end, and what it says at each address is kept as a
 * row: a sorted array of start offsets and, beside it, the rule (CFA = rsp or rbp + offset, or
 * *(rbp + offset) for a realigned stack; %rbp unchanged or saved at CFA or rbp + offset; the
 * return address at CFA - 8). The walk (unwind.c) then unwinds a frame with a look-up in a
 * 256-byte block index and a short binary search, as the Linux kernel's ORC unwinder does.
 * What a row cannot express (a CFA in another register, an unknown DWARF expression, the
 * return address elsewhere) is marked so, and such a frame sends the capture to libgcc.
 *
 * The reader is our own, not elfutils' libdw: the table is built inside the traced process,
 * where the preloaded tracer may bring in nothing but libc, and may not call malloc while a
 * hook builds it. The same pass decides whether the image keeps frame pointers (below).
 *
 * Which images keep frame pointers is read from their own unwind tables, not guessed from their
 * names: measured, Swift code is not enough (the toolchain's libTesting, libXCTest and
 * libswiftDispatch use %rbp as a general register), while some C is (libdispatch,
 * lib_FoundationICU). An image keeps frame pointers when its .eh_frame has functions whose CFA
 * is %rbp-based and almost none (under 1 in 20) that save %rbp without making it the CFA, which
 * is what a function using %rbp as a general register does. Functions that never touch %rbp
 * (leaves, mostly) do not count either way. Measured: libswiftCore 15554 to 7, Foundation
 * 10704 to 0, libdispatch 447 to 0; libc 94 to 1466, libTesting 320 to 922. Such images are
 * walked by their frame records, and their rows are not kept.
 */

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

static int64_t read_sleb(struct tm_reader *r) {
    uint64_t value = 0;
    unsigned shift = 0;
    uint8_t byte = 0;
    do {
        byte = (uint8_t)read_bytes(r, 1);
        if (shift < 64) {
            value |= (uint64_t)(byte & 0x7f) << shift;
        }
        shift += 7;
    } while ((byte & 0x80) && !r->failed);
    if (shift < 64 && (byte & 0x40)) {
        value |= ~UINT64_C(0) << shift;
    }
    return (int64_t)value;
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
    case 0x09: value = (uint64_t)read_sleb(r); break;                /* sleb128 */
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
    const uint8_t *instructions, *end; /* the initial instructions */
    uint64_t code_alignment;
    int64_t data_alignment;
    uint64_t return_register;
    uint8_t pointer_encoding;
    bool has_augmentation_data;
    bool signal_frame; /* 'S': the FDEs describe a signal trampoline (glibc's __restore_rt) */
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
    if (r.failed) {
        return cie;
    }
    if (strncmp(augmentation, "eh", 2) == 0) {
        skip_bytes(&r, 8);
    }
    cie.code_alignment = read_uleb(&r);
    cie.data_alignment = read_sleb(&r);
    cie.return_register = version == 1 ? read_bytes(&r, 1) : read_uleb(&r);
    if (augmentation[0] == 'z') {
        cie.has_augmentation_data = true;
        uint64_t size = read_uleb(&r);
        const uint8_t *data_end = r.at + (size <= (uint64_t)(r.end - r.at) ? size : 0);
        for (const char *c = augmentation + 1; c < augmentation + augmentation_length && !r.failed; c++) {
            switch (*c) {
            case 'R': cie.pointer_encoding = (uint8_t)read_bytes(&r, 1); break;
            case 'P': {
                uint8_t encoding = (uint8_t)read_bytes(&r, 1);
                read_encoded(&r, encoding & 0x7f, 0);
                break;
            }
            case 'L': skip_bytes(&r, 1); break;
            case 'S': cie.signal_frame = true; break;
            default: break; /* 'B', 'G': no data */
            }
        }
        if (!r.failed && data_end > r.at) {
            r.at = data_end; /* augmentation data we do not know */
        }
    }
    cie.instructions = r.at;
    cie.end = r.end;
    cie.valid = !r.failed;
    return cie;
}

/* ---- running a function's CFA program ----------------------------------------------------- */

enum { TM_DWARF_RBP = 6, TM_DWARF_RSP = 7, TM_DWARF_RA = 16 };
#define TM_MAX_REMEMBERED 8

/* What the program says at one address: the CFA, %rbp and the return address. */
struct tm_cfa_state {
    uint64_t cfa_register;
    int64_t cfa_offset;
    bool cfa_dereferenced; /* CFA = *(rbp + cfa_offset): gcc's realigned stacks */
    bool cfa_unknown;      /* an expression, or a register besides rsp and rbp */
    uint8_t rbp;           /* TM_RBP_* */
    bool rbp_unknown;
    int64_t rbp_offset;
    bool return_undefined; /* the stack ends here (_start, a thread's clone) */
    bool return_unknown;   /* not at CFA - 8 */
};

/* The rule of a row, or of a whole FDE marked unsupported. */
static struct tm_unwind_rule rule_of(const struct tm_cfa_state *state, bool signal_frame) {
    struct tm_unwind_rule rule = {.kind = TM_UNWIND_UNSUPPORTED};
    if (signal_frame) {
        rule.kind = TM_UNWIND_SIGNAL;
        return rule;
    }
    if (state->return_undefined) {
        rule.kind = TM_UNWIND_END;
        return rule;
    }
    if (state->cfa_unknown || state->return_unknown || state->rbp_unknown
        || state->cfa_offset != (int32_t)state->cfa_offset || state->rbp_offset != (int16_t)state->rbp_offset) {
        return rule;
    }
    if (state->cfa_dereferenced) {
        rule.kind = state->cfa_register == TM_DWARF_RBP ? TM_UNWIND_CFA_AT_RBP : TM_UNWIND_UNSUPPORTED;
    } else if (state->cfa_register == TM_DWARF_RSP) {
        rule.kind = TM_UNWIND_CFA_RSP;
    } else if (state->cfa_register == TM_DWARF_RBP) {
        rule.kind = TM_UNWIND_CFA_RBP;
    }
    rule.cfa = (int32_t)state->cfa_offset;
    rule.rbp = state->rbp;
    rule.rbp_offset = (int16_t)state->rbp_offset;
    return rule;
}

/* A DWARF expression `DW_OP_breg6 <offset>` (rbp + offset), optionally followed by
   DW_OP_deref: the two gcc writes for a realigned stack. */
static bool match_rbp_expression(const uint8_t *at, uint64_t size, bool dereferenced, int64_t *offset) {
    struct tm_reader r = {at, at + size, false};
    if (read_bytes(&r, 1) != 0x76) { /* DW_OP_breg6 */
        return false;
    }
    *offset = read_sleb(&r);
    if (dereferenced && read_bytes(&r, 1) != 0x06) { /* DW_OP_deref */
        return false;
    }
    return !r.failed && r.at == r.end;
}

/* What one CFA program tells the frame-pointer classification. */
struct tm_fde_traits {
    bool cfa_rbp;   /* the CFA becomes rbp-based: a frame-pointer prologue */
    bool saves_rbp; /* %rbp is saved somewhere */
};

/* Rows being compiled: (offset, rule) pairs in mapped memory. */
struct tm_row {
    uint32_t pc;
    struct tm_unwind_rule rule;
};

struct tm_compiler {
    struct tm_buffer rows;
    uintptr_t base;
    bool failed; /* out of memory */
};

static inline bool same_rule(struct tm_unwind_rule a, struct tm_unwind_rule b) {
    return a.kind == b.kind && a.cfa == b.cfa && a.rbp == b.rbp && a.rbp_offset == b.rbp_offset;
}

/* The rule from `pc` on. A row at the same pc as the last one replaces it (a function starting
   where the previous one ended replaces that one's end marker); a row that says what the last
   one says is not needed. */
static void emit(struct tm_compiler *compiler, uintptr_t pc, struct tm_unwind_rule rule) {
    if (compiler->failed || pc < compiler->base || pc - compiler->base > UINT32_MAX) {
        return;
    }
    uint32_t offset = (uint32_t)(pc - compiler->base);
    struct tm_row *rows = (struct tm_row *)compiler->rows.data;
    size_t count = compiler->rows.size / sizeof(struct tm_row);
    if (count > 0 && rows[count - 1].pc == offset) {
        rows[count - 1].rule = rule;
        if (count > 1 && same_rule(rows[count - 2].rule, rule)) {
            compiler->rows.size -= sizeof(struct tm_row);
        }
        return;
    }
    if (count > 0 && (rows[count - 1].pc > offset || same_rule(rows[count - 1].rule, rule))) {
        return; /* overlapping functions keep the first; a repeated rule adds nothing */
    }
    if (!tm_buffer_reserve(&compiler->rows, sizeof(struct tm_row))) {
        compiler->failed = true;
        return;
    }
    rows = (struct tm_row *)compiler->rows.data;
    rows[count] = (struct tm_row){offset, rule};
    compiler->rows.size += sizeof(struct tm_row);
}

/* Runs the CIE's initial instructions, then the FDE's, over [pc, end), emitting a row at each
   change of address, and notes the traits of the function. Returns false for an
   instruction it does not know or a state stack deeper than TM_MAX_REMEMBERED. */
static bool run_program(struct tm_compiler *compiler, const struct tm_cie *cie, struct tm_reader *fde, uintptr_t pc,
                        uintptr_t end, struct tm_fde_traits *traits) {
    struct tm_cfa_state state = {.cfa_register = TM_DWARF_RSP, .cfa_offset = 8};
    struct tm_cfa_state initial = state;
    struct tm_cfa_state remembered[TM_MAX_REMEMBERED];
    unsigned depth = 0;
    struct tm_reader cie_reader = {cie->instructions, cie->end, false};
    struct tm_reader *r = &cie_reader;
    bool in_cie = true;
    for (;;) {
        if (r->failed) {
            return false;
        }
        if (r->at >= r->end) {
            if (!in_cie) {
                break;
            }
            in_cie = false;
            initial = state; /* what DW_CFA_restore returns to */
            r = fde;
            continue;
        }
        uint8_t op = (uint8_t)read_bytes(r, 1);
        uint64_t reg = op & 0x3f;
        uint64_t advance = 0;
        int64_t offset = 0;
        switch (op & 0xc0) {
        case 0x40: advance = reg; goto advance;
        case 0x80: offset = (int64_t)read_uleb(r) * cie->data_alignment; goto saved_at_cfa;
        case 0xc0: goto restore;
        default: break;
        }
        reg = 0;
        switch (op) {
        case 0x00: continue; /* nop */
        case 0x01: { /* set_loc */
            uintptr_t location = read_encoded(r, cie->pointer_encoding, 0);
            if (location > pc && location <= end) {
                emit(compiler, pc, rule_of(&state, cie->signal_frame));
                pc = location;
            }
            continue;
        }
        case 0x02: advance = read_bytes(r, 1); goto advance;
        case 0x03: advance = read_bytes(r, 2); goto advance;
        case 0x04: advance = read_bytes(r, 4); goto advance;
        case 0x05: reg = read_uleb(r); offset = (int64_t)read_uleb(r) * cie->data_alignment; goto saved_at_cfa;
        case 0x11: reg = read_uleb(r); offset = read_sleb(r) * cie->data_alignment; goto saved_at_cfa;
        case 0x2f: reg = read_uleb(r); offset = -(int64_t)read_uleb(r) * cie->data_alignment; goto saved_at_cfa;
        case 0x06: reg = read_uleb(r); goto restore;
        case 0x07: case 0x08: /* undefined, same_value */
            reg = read_uleb(r);
            if (reg == TM_DWARF_RBP) {
                state.rbp = TM_RBP_SAME;
                state.rbp_unknown = false;
            } else if (reg == cie->return_register) {
                state.return_undefined = op == 0x07;
                state.return_unknown = op == 0x08;
            }
            continue;
        case 0x09: case 0x14: case 0x15: case 0x16: /* register, val_offset(_sf), val_expression */
            reg = read_uleb(r);
            if (op == 0x16) {
                skip_bytes(r, read_uleb(r));
            } else {
                read_uleb(r);
            }
            state.rbp_unknown |= reg == TM_DWARF_RBP;
            state.return_unknown |= reg == cie->return_register;
            continue;
        case 0x0a: /* remember_state */
            if (depth == TM_MAX_REMEMBERED) {
                return false;
            }
            remembered[depth++] = state;
            continue;
        case 0x0b: /* restore_state */
            if (depth == 0) {
                return false;
            }
            state = remembered[--depth];
            continue;
        case 0x0c: case 0x12: /* def_cfa(_sf) */
            reg = read_uleb(r);
            offset = op == 0x0c ? (int64_t)read_uleb(r) : read_sleb(r) * cie->data_alignment;
            state.cfa_register = reg;
            state.cfa_offset = offset;
            state.cfa_dereferenced = state.cfa_unknown = false;
            traits->cfa_rbp |= reg == TM_DWARF_RBP;
            continue;
        case 0x0d: /* def_cfa_register */
            reg = read_uleb(r);
            state.cfa_register = reg;
            state.cfa_dereferenced = state.cfa_unknown = false;
            traits->cfa_rbp |= reg == TM_DWARF_RBP;
            continue;
        case 0x0e: state.cfa_offset = (int64_t)read_uleb(r); continue;                   /* def_cfa_offset */
        case 0x13: state.cfa_offset = read_sleb(r) * cie->data_alignment; continue;      /* def_cfa_offset_sf */
        case 0x2e: read_uleb(r); continue; /* GNU_args_size: for landing pads; the rows track pushes */
        case 0x0f: { /* def_cfa_expression */
            uint64_t size = read_uleb(r);
            const uint8_t *expression = r->at;
            skip_bytes(r, size);
            state.cfa_dereferenced = !r->failed && match_rbp_expression(expression, size, true, &offset);
            state.cfa_unknown = !state.cfa_dereferenced;
            state.cfa_register = TM_DWARF_RBP;
            state.cfa_offset = offset;
            continue;
        }
        case 0x10: { /* expression: the register is saved at the address it computes */
            reg = read_uleb(r);
            uint64_t size = read_uleb(r);
            const uint8_t *expression = r->at;
            skip_bytes(r, size);
            if (reg == TM_DWARF_RBP) {
                traits->saves_rbp = true;
                bool known = !r->failed && match_rbp_expression(expression, size, false, &offset);
                state.rbp = TM_RBP_AT_RBP;
                state.rbp_offset = offset;
                state.rbp_unknown = !known;
            } else if (reg == cie->return_register) {
                state.return_unknown = true;
            }
            continue;
        }
        default: return false;
        }
    advance: {
        uintptr_t next = pc + advance * cie->code_alignment;
        if (next > pc) {
            emit(compiler, pc, rule_of(&state, cie->signal_frame));
            pc = next < end ? next : end;
        }
        continue;
    }
    saved_at_cfa:
        if (reg == TM_DWARF_RBP) {
            traits->saves_rbp = true;
            state.rbp = TM_RBP_AT_CFA;
            state.rbp_offset = offset;
            state.rbp_unknown = false;
        } else if (reg == cie->return_register) {
            state.return_undefined = false;
            state.return_unknown = offset != -8;
        }
        continue;
    restore:
        if (reg == TM_DWARF_RBP) {
            state.rbp = initial.rbp;
            state.rbp_offset = initial.rbp_offset;
            state.rbp_unknown = initial.rbp_unknown;
        } else if (reg == cie->return_register) {
            state.return_undefined = initial.return_undefined;
            state.return_unknown = initial.return_unknown;
        }
        continue;
    }
    if (pc < end) {
        emit(compiler, pc, rule_of(&state, cie->signal_frame));
    }
    return true;
}

/* ---- compiling an image ----------------------------------------------------------------- */

/* The image's .eh_frame_hdr, whose table lists every FDE sorted by address. */
struct tm_eh_frame {
    const uint8_t *hdr;
    const uint8_t *table; /* fde_count pairs of (initial location, FDE), 4-byte datarel each */
    uint64_t fde_count;
    const uint8_t *eh_frame, *eh_frame_end; /* .eh_frame, to the end of its segment: bounds every record */
};

static bool find_eh_frame(const struct dl_phdr_info *info, struct tm_eh_frame *found) {
    const ElfW(Phdr) *header = NULL;
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME) {
            header = &info->dlpi_phdr[i];
        }
    }
    if (header == NULL || header->p_memsz < 12) {
        return false;
    }
    const uint8_t *hdr = (const uint8_t *)(info->dlpi_addr + header->p_vaddr);
    /* Version 1, and the table in the one encoding linkers write (datarel sdata4). */
    if (hdr[0] != 1 || hdr[3] != 0x3b) {
        return false;
    }
    struct tm_reader r = {hdr + 4, hdr + header->p_memsz, false};
    uintptr_t eh_frame = read_encoded(&r, hdr[1], (uintptr_t)hdr);
    uint64_t count = read_encoded(&r, hdr[2], (uintptr_t)hdr);
    if (r.failed || eh_frame == 0 || count > (uint64_t)(r.end - r.at) / 8) {
        return false;
    }
    *found = (struct tm_eh_frame){hdr, r.at, count, (const uint8_t *)eh_frame, NULL};
    for (size_t i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *segment = &info->dlpi_phdr[i];
        uintptr_t start = info->dlpi_addr + segment->p_vaddr;
        if (segment->p_type == PT_LOAD && eh_frame >= start && eh_frame < start + segment->p_memsz) {
            found->eh_frame_end = (const uint8_t *)(start + segment->p_memsz);
        }
    }
    return found->eh_frame_end != NULL;
}

/* The rows of `compiler`, published as a table with its block index. NULL when memory cannot
   be mapped. */
static struct tm_unwind_table *publish(struct tm_compiler *compiler) {
    const struct tm_row *rows = (const struct tm_row *)compiler->rows.data;
    size_t count = compiler->rows.size / sizeof(struct tm_row);
    if (count == 0) {
        return NULL;
    }
    size_t blocks = ((size_t)rows[count - 1].pc >> TM_UNWIND_BLOCK_BITS) + 2;
    size_t size = sizeof(struct tm_unwind_table) + count * (sizeof(uint32_t) + sizeof(struct tm_unwind_rule))
        + blocks * sizeof(uint32_t);
    struct tm_unwind_table *table = tm_map(size);
    if (table == NULL) {
        return NULL;
    }
    uint32_t *pcs = (uint32_t *)(table + 1);
    struct tm_unwind_rule *rules = (struct tm_unwind_rule *)(pcs + count);
    uint32_t *block_index = (uint32_t *)(rules + count);
    for (size_t i = 0; i < count; i++) {
        pcs[i] = rows[i].pc;
        rules[i] = rows[i].rule;
    }
    /* block_index[b] = how many rows start at or before b's first byte. */
    size_t row = 0;
    for (size_t b = 0; b < blocks; b++) {
        uint64_t first = (uint64_t)b << TM_UNWIND_BLOCK_BITS;
        while (row < count && rows[row].pc <= first) {
            row++;
        }
        block_index[b] = (uint32_t)row;
    }
    *table = (struct tm_unwind_table){size, compiler->base, (uint32_t)count, (uint32_t)blocks, pcs, rules, block_index};
    return table;
}

struct tm_image_cfi tm_compile_unwind_table(const struct dl_phdr_info *info, uintptr_t text_start) {
    struct tm_image_cfi result = {NULL, false};
    struct tm_eh_frame eh;
    if (!find_eh_frame(info, &eh)) {
        return result;
    }
    struct tm_compiler compiler = {.base = text_start};
    struct tm_cie cies[8] = {{0}};
    size_t with_frame = 0, rbp_as_register = 0;
    for (uint64_t i = 0; i < eh.fde_count; i++) {
        int32_t fields[2];
        memcpy(fields, eh.table + 8 * i, sizeof fields);
        const uint8_t *fde = eh.hdr + fields[1];
        if (fde < eh.eh_frame || fde >= eh.eh_frame_end) {
            continue;
        }
        struct tm_reader r = {fde, eh.eh_frame_end, false};
        uint64_t length = read_bytes(&r, 4);
        if (length == 0 || length == 0xffffffff || r.failed || length > (uint64_t)(r.end - r.at)) {
            continue;
        }
        r.end = r.at + length;
        const uint8_t *id_field = r.at;
        uint32_t cie_offset = (uint32_t)read_bytes(&r, 4);
        if (cie_offset == 0 || cie_offset > (uintptr_t)(id_field - eh.eh_frame)) {
            continue;
        }
        const uint8_t *cie_address = id_field - cie_offset;
        struct tm_cie *cie = &cies[((uintptr_t)cie_address >> 3) % 8];
        if (cie->address != cie_address) {
            *cie = parse_cie(cie_address, eh.eh_frame_end);
        }
        if (!cie->valid || cie->code_alignment == 0) {
            continue;
        }
        uintptr_t start = read_encoded(&r, cie->pointer_encoding, 0);
        uintptr_t range = read_encoded(&r, cie->pointer_encoding & 0x0f, 0);
        if (cie->has_augmentation_data) {
            skip_bytes(&r, read_uleb(&r));
        }
        if (r.failed || range == 0) {
            continue;
        }
        size_t rows_before = compiler.rows.size;
        struct tm_fde_traits traits = {false, false};
        if (!run_program(&compiler, cie, &r, start, start + range, &traits)) {
            compiler.rows.size = rows_before; /* the whole function: to libgcc */
            emit(&compiler, start, (struct tm_unwind_rule){.kind = TM_UNWIND_UNSUPPORTED});
        }
        /* Where no function follows at once, the gap has no rule. */
        emit(&compiler, start + range, (struct tm_unwind_rule){.kind = TM_UNWIND_NONE});
        with_frame += traits.cfa_rbp;
        rbp_as_register += traits.saves_rbp && !traits.cfa_rbp;
    }
    result.keeps_frame_pointers = with_frame > 0 && rbp_as_register * 20 <= with_frame;
    if (!result.keeps_frame_pointers && !compiler.failed) {
        result.table = publish(&compiler);
    }
    tm_buffer_free(&compiler.rows);
    return result;
}
