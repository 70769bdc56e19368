/* unwind.c: stack capture: a frame-pointer walk, and the CFI unwinder where frame pointers end. */
#define _GNU_SOURCE
#include "capture.h"

#include <pthread.h>
#include <string.h>
#include <unwind.h>

/*
 * The walk follows %rbp frame records ({saved rbp, return address}) from the hook's own frame.
 * It reads only inside the thread's stack, going up (older frames live at higher addresses),
 * so it cannot fault; it allocates nothing. Each return address is checked against the image
 * table: a return address into code that does not keep frame pointers (glibc's strdup, qsort,
 * getline…) means the saved rbp found next is not a frame record, and the capture is redone
 * with _Unwind_Backtrace, which follows the CFI (about 1.3 us).
 *
 * Every stack ends in libc (start_thread, __libc_start_call_main), which keeps no frame
 * pointers. So the stack's "base" is defined as the first frame of the final run of frames in
 * runtime images without frame pointers (the last frame, _start, may be anywhere); the program's
 * own code may lack them too (swiftc -O, cc -O2) and must not end its stack. The CFI capture finds it,
 * and remembers its return address in `bases`; a later walk that meets a known base stops
 * there without falling back. Both captures thus count the same frames.
 */

/* tm_image_range_search's answer, from the published granule index when it has the address.
   Callers test the next address against the range first: consecutive frames mostly lie in one
   image. */
static inline __attribute__((always_inline)) const struct tm_range *image_range(uintptr_t address) {
    const struct tm_image_index *index = atomic_load_explicit(&tm_image_index, memory_order_acquire);
    if (TM_LIKELY(index != NULL)) {
        uint64_t granule = address >> TM_GRANULE_BITS;
        uint64_t slot = index->slots[granule & (TM_INDEX_SLOTS - 1)];
        if ((slot >> 32) == granule + 1) {
            for (unsigned shift = 0; shift < 32; shift += 16) {
                uint32_t number = (uint32_t)(slot >> shift) & 0xffffu;
                if (number == 0) {
                    break;
                }
                const struct tm_range *range = &index->ranges[number - 1];
                if (address - range->start < range->end - range->start) {
                    return range;
                }
            }
        }
    }
    return tm_image_range_search(address);
}

/* Return addresses known to be a stack's base. Append-only; readers scan without a lock. */
#define TM_MAX_BASES 64
static _Atomic uintptr_t bases[TM_MAX_BASES];
static _Atomic uint32_t base_count;

static bool is_base(uintptr_t address) {
    uint32_t count = atomic_load_explicit(&base_count, memory_order_acquire);
    for (uint32_t i = 0; i < count && i < TM_MAX_BASES; i++) {
        if (atomic_load_explicit(&bases[i], memory_order_relaxed) == address) {
            return true;
        }
    }
    return false;
}

static void learn_base(uintptr_t address) {
    if (is_base(address)) {
        return;
    }
    uint32_t index = atomic_fetch_add_explicit(&base_count, 1, memory_order_relaxed);
    if (index < TM_MAX_BASES) {
        atomic_store_explicit(&bases[index], address, memory_order_relaxed);
    }
    /* A concurrent reader may see the count before the address: it reads 0 and does not match,
       which only costs it a CFI capture. */
}

/* Appends frames to a stack for the CFI capture; the leading runtime frames do not count
   against nframe. (The frame-pointer walk does the same in its own loops.) */
struct tm_recorder {
    uintptr_t *frames;
    uint32_t capacity;
    uint32_t count;
    uint32_t total;
    uint32_t lead;     /* leading runtime frames stored */
    uint32_t nframe;
    bool in_lead;      /* no non-runtime frame seen yet */
};

static inline struct tm_recorder recorder_for(const struct tm_capture *capture, unsigned nframe) {
    return (struct tm_recorder){capture->frames, capture->capacity, 0, 0, 0, nframe, true};
}

static inline void recorder_add(struct tm_recorder *recorder, uintptr_t address, int flags) {
    if (recorder->in_lead) {
        if (flags >= 0 && (flags & TM_IMAGE_RUNTIME) && recorder->lead < TM_MAX_LEAD) {
            recorder->lead += 1;
        } else {
            recorder->in_lead = false;
        }
    }
    if (recorder->count < recorder->lead + recorder->nframe && recorder->count < recorder->capacity) {
        recorder->frames[recorder->count++] = address;
    }
    recorder->total += recorder->total < TM_MAX_NFRAME;
}

static inline void finish(struct tm_capture *capture, const struct tm_recorder *recorder) {
    capture->count = recorder->count;
    capture->total = recorder->total;
}

/* The end of the thread's stack, found once per thread with its lowest address (stack_low).
   1 when it cannot be known: every frame pointer is then above it, and captures use the CFI
   unwinder. */
static uintptr_t current_stack_top(void) {
    if (TM_LIKELY(tm_thread.stack_top)) {
        return tm_thread.stack_top;
    }
    /* pthread_getattr_np may allocate (it reads /proc/self/maps for the main thread); the
       caller is a hook with tm_thread.busy set, so that only forwards. */
    tm_thread.stack_top = 1;
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
        void *low;
        size_t size;
        if (pthread_attr_getstack(&attributes, &low, &size) == 0) {
            tm_thread.stack_low = (uintptr_t)low;
            tm_thread.stack_top = (uintptr_t)low + size;
        }
        pthread_attr_destroy(&attributes);
    }
    return tm_thread.stack_top;
}

/* ---- the CFI capture ------------------------------------------------------------------- */

/* The base candidate of an unwinding that goes to the stack's end: the first frame of the
   current run of frames in runtime code without frame pointers, and whether another frame came
   after it (only the very last frame may). */
struct tm_base {
    uint32_t index;
    uintptr_t address;
    bool broken;
    bool after_other_frame;
};

static inline bool is_base_like(int flags) {
    return flags >= 0 && (flags & TM_IMAGE_RUNTIME) && !(flags & TM_IMAGE_FRAME_POINTERS);
}

static inline void note_base(struct tm_base *base, uint32_t index, uintptr_t address, bool base_like) {
    if (base->after_other_frame) {
        base->broken = true; /* a frame follows the other frame after the run */
    }
    if (base_like) {
        if (base->address == 0 || base->broken) {
            *base = (struct tm_base){index, address, false, false};
        }
    } else if (base->address != 0) {
        base->after_other_frame = true;
    }
}

/* The stack was unwound to its end: its base is learnt, and what lies below it dropped, as a
   frame-pointer walk that stops there would. */
static void apply_base(struct tm_capture *capture, const struct tm_base *base) {
    if (base->address != 0 && !base->broken) {
        learn_base(base->address);
        uint32_t depth = base->index + 1;
        if (capture->total > depth) {
            capture->total = depth;
        }
        if (capture->count > depth) {
            capture->count = depth;
        }
    }
}

struct tm_unwind {
    struct tm_recorder recorder;
    uintptr_t first;  /* the return address the walk read first: capture starts there */
    unsigned skip;
    bool started;
    struct tm_base base;
    uint32_t seen;
    /* The last frame recorded: its image's flags and its %rbp; and whether this capture ended
       the unwinding itself (a known base, the frame limit, a return address of 0). */
    int last_flags;
    uintptr_t last_address;
    uintptr_t last_rbp;
    bool ended;
};

static _Unwind_Reason_Code unwind_step(struct _Unwind_Context *context, void *argument) {
    struct tm_unwind *unwind = argument;
    int before_instruction = 0;
    uintptr_t address = _Unwind_GetIPInfo(context, &before_instruction);
    if (before_instruction) {
        address += 1; /* a signal frame's exact pc, stored like a return address */
    }
    if (!unwind->started) {
        if (address != unwind->first) {
            return _URC_NO_REASON; /* our own frames and the hook's */
        }
        unwind->started = true;
    }
    if (unwind->skip) {
        unwind->skip -= 1;
        return _URC_NO_REASON;
    }
    if (address == 0) {
        unwind->ended = true;
        return _URC_END_OF_STACK;
    }
    int flags = tm_range_flags(image_range(address));
    note_base(&unwind->base, unwind->seen, address, is_base_like(flags));
    recorder_add(&unwind->recorder, address, flags);
    unwind->seen += 1;
    unwind->last_flags = flags;
    unwind->last_address = address;
    unwind->last_rbp = _Unwind_GetGR(context, 6); /* DWARF register 6: %rbp */
    if (is_base(address) || unwind->recorder.total >= TM_MAX_NFRAME) {
        unwind->ended = true;
        return _URC_END_OF_STACK;
    }
    return _URC_NO_REASON;
}

static inline bool keeps_frame_pointers(int flags);
static inline uintptr_t older_frame(uintptr_t fp, uintptr_t highest);

/* The CFI unwinder stopped in code that keeps frame pointers, at a function without unwind
   tables (measured: in libswiftCore's metadata caches, under operator new, whose allocations
   then showed no caller): the frame-pointer chain goes on from that frame's %rbp, to the
   first frame in code without frame pointers. */
static void continue_with_frame_pointers(struct tm_recorder *recorder, uintptr_t fp) {
    uintptr_t top = current_stack_top();
    if (fp <= (uintptr_t)__builtin_frame_address(0) || fp >= top - 2 * sizeof(uintptr_t) || fp % sizeof(uintptr_t) != 0) {
        return;
    }
    uintptr_t highest = top - 2 * sizeof(uintptr_t);
    while (recorder->total < TM_MAX_NFRAME) {
        uintptr_t address = ((uintptr_t *)fp)[1];
        if (address == 0) {
            return;
        }
        int flags = tm_range_flags(image_range(address));
        recorder_add(recorder, address, flags);
        if (!keeps_frame_pointers(flags)) {
            return;
        }
        fp = older_frame(fp, highest);
        if (fp == 0) {
            return;
        }
    }
}

/* libgcc's look-up of the unwind table entry (FDE) for `pc`, which _Unwind_Backtrace uses. */
struct tm_eh_bases {
    void *tbase, *dbase, *func;
};
extern const void *_Unwind_Find_FDE(void *pc, struct tm_eh_bases *bases);

/* Whether the code at return address `address` has unwind tables. A stack's real end (_start,
   a thread's clone) has them, marking the return address undefined; where they are missing,
   the unwinder stopped early, and the stack's end is not known. */
static bool has_unwind_tables(uintptr_t address) {
    struct tm_eh_bases bases;
    return _Unwind_Find_FDE((void *)(address - 1), &bases) != NULL;
}

static void capture_cfi(struct tm_capture *capture, uintptr_t first, unsigned skip, unsigned nframe) {
    struct tm_unwind unwind = {.recorder = recorder_for(capture, nframe), .first = first, .skip = skip};
    _Unwind_Backtrace(unwind_step, &unwind);
    if (!unwind.ended && unwind.seen > 0 && !has_unwind_tables(unwind.last_address)) {
        /* Stopped early: no base can be told from this stack. */
        if (keeps_frame_pointers(unwind.last_flags)) {
            continue_with_frame_pointers(&unwind.recorder, unwind.last_rbp);
        }
        finish(capture, &unwind.recorder);
        return;
    }
    finish(capture, &unwind.recorder);
    apply_base(capture, &unwind.base);
}

/* ---- the frame-pointer walk ------------------------------------------------------------ */

/* Swift marks the saved rbp of an async frame with bit 60 (an "extended frame"); the record
   itself is an ordinary one. */
#define TM_ASYNC_FRAME_BIT (UINT64_C(1) << 60)

/* The range at the walk's k-th change of image. A thread's stacks mostly cross the same images
   in the same order (the runtime, the program, libc), so the range its last walk entered at
   the same change is tested first, inline; the index look-up is out of line, so that the
   walk's loops keep their state in registers (measured on binary-trees: 497 instructions an
   allocation for the walk this way, 546 with the index look-up inline at every change). */
static __attribute__((noinline)) const struct tm_range *enter_range(uintptr_t address, unsigned k) {
    const struct tm_range *range = image_range(address);
    if (k < TM_CHANGE_MEMO) {
        tm_thread.changes[k] = range;
    }
    return range;
}

static inline __attribute__((always_inline)) const struct tm_range *range_at_change(uintptr_t address, unsigned k) {
    const struct tm_range *range = k < TM_CHANGE_MEMO ? tm_thread.changes[k] : NULL;
    if (TM_LIKELY(range != NULL) && address - range->start < range->end - range->start) {
        return range;
    }
    return enter_range(address, k);
}

/* Forgets the thread's remembered ranges when a new image table was published since. */
static inline void check_changes(void) {
    const struct tm_image_index *index = atomic_load_explicit(&tm_image_index, memory_order_acquire);
    if (TM_UNLIKELY(tm_thread.changes_index != index)) {
        for (unsigned k = 0; k < TM_CHANGE_MEMO; k++) {
            tm_thread.changes[k] = NULL;
        }
        tm_thread.changes_index = index;
    }
}

/* The frame record of the caller of the frame at `fp`, or 0 when the chain ends: a record must
   lie above the current one (stacks grow down) and no higher than `highest`, the last place
   inside the stack where one fits, so reading it is safe. */
static inline uintptr_t older_frame(uintptr_t fp, uintptr_t highest) {
    /* A misaligned value is not a frame record but a register's leftover (code in an image
       that keeps frame pointers may still use %rbp as a general register): the chain ends. */
    uintptr_t next = ((uintptr_t *)fp)[0] & ~TM_ASYNC_FRAME_BIT;
    if (TM_UNLIKELY(next <= fp) || TM_UNLIKELY(next % sizeof(uintptr_t) != 0) || TM_UNLIKELY(next > highest)) {
        return 0;
    }
    return next;
}

static inline bool keeps_frame_pointers(int flags) {
    return flags >= 0 && (flags & TM_IMAGE_FRAME_POINTERS);
}

/* ---- the table walk ---------------------------------------------------------------------- */

/* Captures handed to libgcc, by reason: the fields of tm_unwind_stats, in order. */
enum tm_slow_reason {
    TM_SLOW_NO_IMAGE, TM_SLOW_NO_TABLE, TM_SLOW_NO_FUNCTION, TM_SLOW_UNSUPPORTED_RULE, TM_SLOW_SIGNAL_FRAME,
    TM_SLOW_BAD_STACK, TM_SLOW_OTHER_STACK, TM_SLOW_SKIP, TM_SLOW_REASONS
};
_Static_assert(sizeof(tm_unwind_stats) == TM_SLOW_REASONS * sizeof(uint64_t), "one counter per reason");
static _Atomic uint64_t slow_captures[TM_SLOW_REASONS];

static void count_slow(enum tm_slow_reason reason) {
    atomic_fetch_add_explicit(&slow_captures[reason], 1, memory_order_relaxed);
}

void tm_get_unwind_stats(tm_unwind_stats *stats) {
    uint64_t counts[TM_SLOW_REASONS];
    for (unsigned i = 0; i < TM_SLOW_REASONS; i++) {
        counts[i] = atomic_load_explicit(&slow_captures[i], memory_order_relaxed);
    }
    memcpy(stats, counts, sizeof counts);
}

/* The rule for the code at `pc`, or NULL where no row covers it: the rows of pc's 256-byte block
   are searched for the last one that starts at or before it. */
static inline const struct tm_unwind_rule *rule_at(const struct tm_unwind_table *table, uintptr_t pc) {
    uintptr_t offset = pc - table->base;
    if (TM_UNLIKELY(pc < table->base) || TM_UNLIKELY(offset > UINT32_MAX)) {
        return NULL;
    }
    uintptr_t block = offset >> TM_UNWIND_BLOCK_BITS;
    uint32_t low, high;
    if (TM_LIKELY(block + 1 < table->block_count)) {
        low = table->blocks[block];
        high = table->blocks[block + 1];
    } else {
        low = table->blocks[table->block_count - 1];
        high = table->row_count;
    }
    while (low < high) { /* the first row past `offset` */
        uint32_t middle = (low + high) / 2;
        if (table->pcs[middle] <= offset) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    return low == 0 ? NULL : &table->rules[low - 1];
}

/* The last two return addresses one walk looked up, and their rules: recursion repeats return
   addresses in nearby frames (measured on binary-trees in C, instructions an allocation in the
   walk: 1720 without a memo, 1459 with one entry, 1365 with two). */
struct tm_rule_memo {
    uintptr_t pc[2];
    const struct tm_unwind_rule *rule[2];
};

/* rule_at for return address `pc` in `table` (NULL: no table, no rule), through the memo. */
static inline const struct tm_unwind_rule *remembered_rule(struct tm_rule_memo *memo, const struct tm_unwind_table *table,
                                                            uintptr_t pc) {
    if (pc == memo->pc[0]) {
        return memo->rule[0];
    }
    if (pc == memo->pc[1]) {
        return memo->rule[1];
    }
    const struct tm_unwind_rule *rule = table ? rule_at(table, pc - 1) : NULL;
    *memo = (struct tm_rule_memo){{pc, memo->pc[0]}, {rule, memo->rule[0]}};
    return rule;
}

/* A word of the stack at `address`, if it lies between the capture's first frame and the
   stack's top (so it is mapped) and is aligned. */
static inline bool read_stack(uintptr_t address, uintptr_t low, uintptr_t high, uintptr_t *value) {
    if (TM_UNLIKELY(((address - low) > high - low) | (address % sizeof(uintptr_t) != 0))) {
        return false;
    }
    *value = *(const uintptr_t *)address;
    return true;
}

/* Where a signal trampoline (glibc's __restore_rt) finds the interrupted registers: the
   ucontext at its stack pointer, whose uc_mcontext.gregs start 40 bytes in; REG_RBP, REG_RSP
   and REG_RIP are gregs 10, 15 and 16 (<sys/ucontext.h>). */
#define TM_UCONTEXT_GREGS 40
enum { TM_GREG_RBP = 10, TM_GREG_RSP = 15, TM_GREG_RIP = 16 };

/* The common case of the table walk, in a loop small enough to keep its state in registers
   (the general loop below spills most of its own): consecutive frames in one image without
   frame pointers, past the leading runtime frames, whose rows put the CFA at rsp or rbp +
   offset. Frames are stored while `count` is under `limit`, then only counted. It stops at the
   first frame it cannot take (a return address in another image or 0, another kind of rule, a
   read outside [low, high]) with the state of the last frame it recorded: the general loop
   takes that frame again. */
struct tm_row_walk {
    uintptr_t pc, sp, rbp;
    uint32_t count, total;
};

static __attribute__((noinline)) void walk_rows(struct tm_row_walk *walk, const struct tm_range *range, uintptr_t *frames,
                                                uint32_t limit, uintptr_t low, uintptr_t high) {
    const struct tm_unwind_table *table = range->unwind;
    uintptr_t start = range->start, size = range->end - range->start;
    uintptr_t pc = walk->pc, sp = walk->sp, rbp = walk->rbp;
    uint32_t count = walk->count, total = walk->total;
    struct tm_rule_memo memo = {{0, 0}, {NULL, NULL}};
    while (TM_LIKELY(total < TM_MAX_NFRAME)) {
        const struct tm_unwind_rule *rule = remembered_rule(&memo, table, pc);
        if (TM_UNLIKELY(rule == NULL) || TM_UNLIKELY(rule->kind != TM_UNWIND_CFA_RSP && rule->kind != TM_UNWIND_CFA_RBP)) {
            break;
        }
        uintptr_t cfa = (rule->kind == TM_UNWIND_CFA_RSP ? sp : rbp) + (intptr_t)rule->cfa, next, caller_rbp = rbp;
        if (TM_UNLIKELY(cfa <= sp) || !read_stack(cfa - sizeof(uintptr_t), low, high, &next)
            || TM_UNLIKELY(next - start >= size)) {
            break;
        }
        if (rule->rbp != TM_RBP_SAME
            && !read_stack((rule->rbp == TM_RBP_AT_CFA ? cfa : rbp) + (intptr_t)rule->rbp_offset, low, high, &caller_rbp)) {
            break;
        }
        if (count < limit) {
            frames[count++] = next;
        }
        total += 1;
        pc = next;
        sp = cfa;
        rbp = caller_rbp;
    }
    *walk = (struct tm_row_walk){pc, sp, rbp, count, total};
}

/* Goes on from the frame at return address `pc` (already recorded, in code without frame
   pointers), whose stack pointer is `sp` and %rbp `rbp`, to the stack's end or a known base:
   each frame by its image's unwind table, or by its frame record where the image keeps frame
   pointers (a Swift program calling into libc calling back into Swift). Every read is checked
   to lie in [low, high], the live part of the thread's stack. False when a frame has no rule
   the walk can follow (counted): the caller then captures with libgcc. */
static bool walk_tables(struct tm_capture *capture, struct tm_recorder from, const struct tm_range *range,
                        unsigned changes, uintptr_t pc, uintptr_t sp, uintptr_t rbp, uintptr_t low, uintptr_t high) {
    struct tm_recorder recording = from, *recorder = &recording; /* a local: its fields stay in registers */
    int flags = tm_range_flags(range);
    /* What the walk needs of the current image, set again at each change of image. */
    bool frame_pointers = keeps_frame_pointers(flags);
    bool base_like = is_base_like(flags);
    struct tm_base base = {0};
    note_base(&base, recorder->total - 1, pc, base_like);
    struct tm_rule_memo memo = {{0, 0}, {NULL, NULL}};
    bool after_signal = false; /* pc is the exact pc of a frame a signal interrupted, plus one */
    for (;;) {
        if (!frame_pointers && !base_like && !recorder->in_lead && range != NULL && range->unwind != NULL) {
            uint32_t limit = recorder->lead + recorder->nframe < recorder->capacity ? recorder->lead + recorder->nframe
                                                                                    : recorder->capacity;
            struct tm_row_walk rows = {pc, sp, rbp, recorder->count, recorder->total};
            walk_rows(&rows, range, recorder->frames, limit, low, high);
            uint32_t recorded = rows.total - recorder->total;
            if (recorded > 0) {
                for (uint32_t k = 0; k < recorded && k < 2; k++) {
                    note_base(&base, 0, 0, false); /* what each of these frames notes */
                }
                pc = rows.pc;
                sp = rows.sp;
                rbp = rows.rbp;
                recorder->count = rows.count;
                recorder->total = rows.total;
                after_signal = false;
                if (recorder->total >= TM_MAX_NFRAME) {
                    break;
                }
            }
        }
        uintptr_t next;
        if (frame_pointers) {
            if (after_signal) {
                /* It may be in a prologue, before its frame record exists. */
                count_slow(TM_SLOW_SIGNAL_FRAME);
                return false;
            }
            uintptr_t record = rbp & ~TM_ASYNC_FRAME_BIT;
            if (record == 0) {
                goto end; /* the outermost frame (_start clears %rbp) */
            }
            if (record < sp || !read_stack(record + sizeof(uintptr_t), low, high, &next) || !read_stack(record, low, high, &rbp)) {
                break; /* the chain ends, as in the frame-pointer walk */
            }
            sp = record + 2 * sizeof(uintptr_t);
        } else {
            const struct tm_unwind_rule *rule = remembered_rule(&memo, range ? range->unwind : NULL, pc);
            if (TM_UNLIKELY(rule == NULL) || TM_UNLIKELY(rule->kind < TM_UNWIND_CFA_RSP)) {
                count_slow(range == NULL ? TM_SLOW_NO_IMAGE : range->unwind == NULL ? TM_SLOW_NO_TABLE
                           : rule == NULL || rule->kind == TM_UNWIND_NONE ? TM_SLOW_NO_FUNCTION : TM_SLOW_UNSUPPORTED_RULE);
                return false;
            }
            uintptr_t cfa;
            switch (rule->kind) {
            case TM_UNWIND_END:
                goto end;
            case TM_UNWIND_SIGNAL: {
                uintptr_t gregs = sp + TM_UCONTEXT_GREGS, interrupted_sp;
                if (!read_stack(gregs + TM_GREG_RIP * sizeof(uintptr_t), low, high, &next)
                    || !read_stack(gregs + TM_GREG_RSP * sizeof(uintptr_t), low, high, &interrupted_sp)
                    || !read_stack(gregs + TM_GREG_RBP * sizeof(uintptr_t), low, high, &rbp) || interrupted_sp <= sp) {
                    count_slow(TM_SLOW_BAD_STACK);
                    return false;
                }
                sp = interrupted_sp;
                next += 1; /* stored like a return address, as libgcc's capture does */
                after_signal = true;
                goto record;
            }
            case TM_UNWIND_CFA_RSP: cfa = sp + (intptr_t)rule->cfa; break;
            case TM_UNWIND_CFA_RBP: cfa = rbp + (intptr_t)rule->cfa; break;
            default: /* TM_UNWIND_CFA_AT_RBP */
                if (!read_stack(rbp + (intptr_t)rule->cfa, low, high, &cfa)) {
                    count_slow(TM_SLOW_BAD_STACK);
                    return false;
                }
                break;
            }
            /* The caller's frame lies above this one's, and its return address at CFA - 8. */
            if (cfa <= sp || !read_stack(cfa - sizeof(uintptr_t), low, high, &next)) {
                count_slow(TM_SLOW_BAD_STACK);
                return false;
            }
            if (rule->rbp != TM_RBP_SAME) {
                uintptr_t slot = (rule->rbp == TM_RBP_AT_CFA ? cfa : rbp) + (intptr_t)rule->rbp_offset;
                if (!read_stack(slot, low, high, &rbp)) {
                    count_slow(TM_SLOW_BAD_STACK);
                    return false;
                }
            }
            sp = cfa;
        }
        after_signal = false;
    record:
        if (next == 0) {
            goto end;
        }
        if (TM_UNLIKELY(range == NULL) || TM_UNLIKELY(next - range->start >= range->end - range->start)) {
            range = range_at_change(next, changes++);
            flags = tm_range_flags(range);
            frame_pointers = keeps_frame_pointers(flags);
            base_like = is_base_like(flags);
            memo = (struct tm_rule_memo){{0, 0}, {NULL, NULL}};
        }
        note_base(&base, recorder->total, next, base_like);
        recorder_add(recorder, next, flags);
        if (TM_UNLIKELY(recorder->total >= TM_MAX_NFRAME)) {
            break; /* cut short: no base can be told */
        }
        if (base_like && is_base(next)) {
            break;
        }
        pc = next;
    }
    finish(capture, recorder);
    return true;
end:
    finish(capture, recorder);
    apply_base(capture, &base);
    return true;
}

/* The frame-pointer walk from the frame record at `fp`; false when it met code without frame
   pointers above the stack's base, and the CFI capture must be used instead.
   A frame costs a few loads and compares: its return address is tested against the range of
   the previous frame's image, which the walk already knows keeps frame pointers, and only a
   frame in another image (or a return address of 0, which is in none) looks the table up.
   Everything that depends on the image (the end of the leading runtime frames, frame
   pointers) is decided there, so the loop that stores frames does nothing else; a second loop
   only counts the frames past the stored ones (most frames of a deep stack). */
static bool walk(struct tm_capture *capture, uintptr_t fp, uintptr_t highest, unsigned skip, unsigned nframe) {
    uintptr_t *frames = capture->frames;
    uint32_t count = 0, total;
    uintptr_t range_start = 0, range_size = 0;
    unsigned changes = 0;
    check_changes();
    /* Frames a caller of tm_traceback_here asked to skip (tm_track's own callers): rare. */
    for (; skip; skip--) {
        uintptr_t address = ((uintptr_t *)fp)[1];
        if (address == 0) {
            total = count;
            goto done;
        }
        if (!keeps_frame_pointers(tm_range_flags(image_range(address)))) {
            count_slow(TM_SLOW_SKIP);
            return false;
        }
        fp = older_frame(fp, highest);
        if (fp == 0) {
            total = count;
            goto done;
        }
    }
    /* Until the first frame outside the runtime images, frames are stored without counting
       against nframe (at most TM_MAX_LEAD of them); `limit` is where storing stops. The
       capacity holds TM_MAX_LEAD + nframe frames, and nframe > 0, so every frame stored fits. */
    bool lead = true;
    uint32_t limit = TM_MAX_LEAD;
    uintptr_t address = ((uintptr_t *)fp)[1];
    for (;;) {
        if (TM_UNLIKELY(address - range_start >= range_size)) {
            if (address == 0) {
                total = count;
                goto done;
            }
            const struct tm_range *range = range_at_change(address, changes++);
            int flags = tm_range_flags(range);
            range_start = range ? range->start : 0;
            range_size = range ? range->end - range->start : 0;
            if (lead && !(flags >= 0 && (flags & TM_IMAGE_RUNTIME))) {
                lead = false;
                limit = count + nframe < TM_MAX_NFRAME ? count + nframe : TM_MAX_NFRAME;
            }
            if (!keeps_frame_pointers(flags)) {
                frames[count++] = address;
                total = count;
                goto base;
            }
        }
        frames[count++] = address;
        if (TM_UNLIKELY(count == limit)) {
            if (!lead) {
                break;
            }
            lead = false; /* TM_MAX_LEAD runtime frames: the next one is the program's first */
            limit = count + nframe < TM_MAX_NFRAME ? count + nframe : TM_MAX_NFRAME;
        }
        fp = older_frame(fp, highest);
        if (fp == 0) {
            total = count;
            goto done;
        }
        address = ((uintptr_t *)fp)[1];
    }
    /* Uncapped here (records are at least 16 bytes apart, so a stack cannot overflow the
       count), capped at the end: a recursion deeper than TM_MAX_NFRAME is walked whole. */
    for (total = count;; total++) {
        fp = older_frame(fp, highest);
        if (fp == 0) {
            goto done;
        }
        address = ((uintptr_t *)fp)[1];
        if (TM_UNLIKELY(address - range_start >= range_size)) {
            if (address == 0) {
                goto done;
            }
            const struct tm_range *range = range_at_change(address, changes++);
            int flags = tm_range_flags(range);
            range_start = range ? range->start : 0;
            range_size = range ? range->end - range->start : 0;
            if (!keeps_frame_pointers(flags)) {
                total += 1;
                goto base;
            }
        }
    }
done:
    capture->count = count;
    capture->total = total < TM_MAX_NFRAME ? total : TM_MAX_NFRAME;
    return true;
base: /* the frame at `address` is in code without frame pointers: a known base ends the walk,
         else the unwind tables take it on */
    capture->count = count;
    capture->total = total < TM_MAX_NFRAME ? total : TM_MAX_NFRAME;
    if (is_base(address)) {
        return true;
    }
    /* The recorder goes on where the walk's loops stopped: stored frames, the lead, the limit. */
    struct tm_recorder recorder = {frames, capture->capacity, count, capture->total, 0, nframe, lead};
    recorder.lead = lead ? count : limit > nframe ? limit - nframe : 0;
    uintptr_t low = fp;
    /* The range again (not kept in the loops: a register they need, measured +7 instructions an
       allocation on binary-trees with frame pointers). */
    const struct tm_range *range = image_range(address);
    return walk_tables(capture, recorder, range, changes, address, fp + 2 * sizeof(uintptr_t), ((uintptr_t *)fp)[0],
                       low, highest + sizeof(uintptr_t));
}

static void capture_here(struct tm_capture *capture, void *frame, unsigned skip, unsigned nframe) {
    uintptr_t top = current_stack_top();
    uintptr_t fp = (uintptr_t)frame;
    /* Outside [stack_low, top): an unknown stack, or a signal's alternate one. */
    if (TM_UNLIKELY(fp >= top) || TM_UNLIKELY(fp < tm_thread.stack_low)) {
        count_slow(TM_SLOW_OTHER_STACK);
        capture_cfi(capture, ((uintptr_t *)fp)[1], skip, nframe);
    } else if (!walk(capture, fp, top - 2 * sizeof(uintptr_t), skip, nframe)) {
        capture_cfi(capture, ((uintptr_t *)fp)[1], skip, nframe);
    }
}

/* ---- scratch and interning -------------------------------------------------------------- */

/* Captures deeper than the stack buffer (nframe > 120) use mmapped scratch buffers from this
   pool: a hook may not allocate, and a thread's stack may be small. */
#define TM_STACK_FRAMES 256u

struct tm_scratch {
    struct tm_scratch *next;
    size_t mapped;
    uint32_t capacity;
    uintptr_t frames[];
};

static struct {
    tm_spinlock lock; /* guards `free`; held for a push or a pop only */
    struct tm_scratch *free;
} scratch_pool;

static struct tm_scratch *take_scratch(uint32_t capacity) {
    tm_lock(&scratch_pool.lock);
    struct tm_scratch *scratch = scratch_pool.free;
    if (scratch) {
        scratch_pool.free = scratch->next;
    }
    tm_unlock(&scratch_pool.lock);
    if (scratch && scratch->capacity < capacity) {
        tm_unmap(scratch, scratch->mapped); /* from a smaller nframe before a restart */
        scratch = NULL;
    }
    if (scratch == NULL) {
        size_t size = sizeof *scratch + capacity * sizeof(uintptr_t);
        scratch = tm_map(size);
        if (scratch) {
            scratch->mapped = size;
            scratch->capacity = capacity;
        }
    }
    return scratch;
}

static void give_scratch(struct tm_scratch *scratch) {
    tm_lock(&scratch_pool.lock);
    scratch->next = scratch_pool.free;
    scratch_pool.free = scratch;
    tm_unlock(&scratch_pool.lock);
}

void tm_scratch_lock(void) {
    tm_lock(&scratch_pool.lock);
}

void tm_scratch_unlock(void) {
    tm_unlock(&scratch_pool.lock);
}

uint32_t tm_traceback_here(void *frame, unsigned skip) {
    unsigned nframe = (unsigned)atomic_load_explicit(&tm_state.nframe, memory_order_relaxed) + TM_MACHINERY_SLACK;
    uintptr_t frames[TM_STACK_FRAMES];
    struct tm_capture capture = {frames, TM_STACK_FRAMES, 0, 0};
    struct tm_scratch *scratch = NULL;
    if (TM_MAX_LEAD + nframe > TM_STACK_FRAMES) {
        scratch = take_scratch(TM_MAX_LEAD + nframe);
        if (scratch == NULL) {
            return 0;
        }
        capture = (struct tm_capture){scratch->frames, scratch->capacity, 0, 0};
    }
    capture_here(&capture, frame, skip, nframe);
    uint32_t id = tm_intern(&capture);
    if (scratch) {
        give_scratch(scratch);
    }
    return id;
}
