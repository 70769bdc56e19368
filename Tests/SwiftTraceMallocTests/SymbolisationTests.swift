import Foundation
import Testing
import TraceMalloc

// `run` symbolises the tracer's addresses after the program has ended, from the images the
// tracer recorded. These tests use a C stand-in for the tracer that records real return
// addresses (backtrace(3)) and real images (dl_iterate_phdr, with their GNU build ids), so the
// conversion is checked against real code apart from the C core's writer.

/// `record(size)` notes one block allocated by its caller; `write_raw()` writes them all as
/// `$SWIFTTRACEMALLOC_OUTPUT.raw`, as the preloaded tracer would.
let standInTracer = """
    #define _GNU_SOURCE
    #include <elf.h>
    #include <execinfo.h>
    #include <link.h>
    #include <stdint.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <unistd.h>

    struct image { uint64_t start, end, bias; const unsigned char *id; uint16_t id_len; char path[4096]; };
    static struct image images[64];
    static int nimages;
    static struct { void *addresses[64]; int depth; uint64_t size; } records[64];
    static int nrecords;

    __attribute__((noinline)) void record(uint64_t size) {
        records[nrecords].depth = backtrace(records[nrecords].addresses, 64);
        records[nrecords++].size = size;
    }

    static int add_image(struct dl_phdr_info *info, size_t size, void *data) {
        struct image *image = &images[nimages];
        if (info->dlpi_name[0] == 0) {
            ssize_t n = readlink("/proc/self/exe", image->path, sizeof image->path - 1);
            image->path[n] = 0;
        } else if (strchr(info->dlpi_name, '/')) {
            strcpy(image->path, info->dlpi_name);
        } else {
            return 0; /* the vDSO has no file */
        }
        image->start = UINT64_MAX;
        image->bias = info->dlpi_addr;
        for (int i = 0; i < info->dlpi_phnum; i++) {
            const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
            uint64_t at = info->dlpi_addr + ph->p_vaddr;
            if (ph->p_type == PT_LOAD) {
                if (at < image->start) image->start = at;
                if (at + ph->p_memsz > image->end) image->end = at + ph->p_memsz;
            } else if (ph->p_type == PT_NOTE && !image->id) {
                const unsigned char *p = (const void *)at, *end = p + ph->p_memsz;
                while (p + sizeof(ElfW(Nhdr)) <= end) {
                    const ElfW(Nhdr) *note = (const void *)p;
                    const unsigned char *name = p + sizeof *note, *desc = name + ((note->n_namesz + 3) & ~3u);
                    if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                        image->id = desc;
                        image->id_len = note->n_descsz;
                        break;
                    }
                    p = desc + ((note->n_descsz + 3) & ~3u);
                }
            }
        }
        nimages++;
        return 0;
    }

    static FILE *out;
    static void u16(uint16_t v) { fwrite(&v, 2, 1, out); }
    static void u32(uint32_t v) { fwrite(&v, 4, 1, out); }
    static void u64(uint64_t v) { fwrite(&v, 8, 1, out); }

    void write_raw(void) {
        dl_iterate_phdr(add_image, NULL);
        char path[4096], temporary[4200];
        snprintf(path, sizeof path, "%s.raw", getenv("SWIFTTRACEMALLOC_OUTPUT"));
        snprintf(temporary, sizeof temporary, "%s.tmp", path);
        out = fopen(temporary, "wb");
        fwrite("TMRAW001", 8, 1, out);
        u32(2); u32(atoi(getenv("SWIFTTRACEMALLOC"))); u64(getpid());
        u32(nimages);
        for (int i = 0; i < nimages; i++) {
            u64(images[i].start); u64(images[i].end); u64(images[i].bias);
            u16(images[i].id_len); fwrite(images[i].id, 1, images[i].id_len, out);
            u16(strlen(images[i].path)); fwrite(images[i].path, 1, strlen(images[i].path), out);
        }
        u64(nrecords); /* one traceback per record, without record()'s own frame */
        for (int i = 0; i < nrecords; i++) {
            u32(records[i].depth - 1); u32(records[i].depth - 1);
            for (int j = 1; j < records[i].depth; j++) u64((uintptr_t)records[i].addresses[j]);
        }
        uint64_t total = 0;
        u64(nrecords);
        for (int i = 0; i < nrecords; i++) { u32(0); u32(i); u64(records[i].size); total += records[i].size; }
        u64(total); u64(total);
        u32(8); for (int i = 0; i < 8; i++) u64(i == 2 ? 3 : 0); /* 3 slow captures: no function */
        fwrite("TMEND001", 8, 1, out);
        fclose(out);
        rename(temporary, path);
    }

    """

/// A program traced by the stand-in: 5000 bytes from `make()`, 100 bytes twice from `main`.
/// With an argument, it replaces its own executable by that file before it ends, as a rebuild
/// between the run and the symbolisation would.
let standInProgram = """
    #include <stdint.h>
    #include <stdio.h>
    void record(uint64_t size);
    void write_raw(void);

    __attribute__((noinline)) static void make(void) {
        record(5000); // make's block
    }

    int main(int argc, char **argv) {
        make(); // call of make
        for (int i = 0; i < 2; i++)
            record(100); // main's blocks
        write_raw();
        if (argc > 1) rename(argv[1], argv[0]);
        return 0;
    }

    """

@Test func runSymbolisesTheRecordedAddressesWithTheRecordedImages() throws {
    let tracer = try FakeTracer()
    let directory = tracer.directory
    let source = standInTracer + standInProgram
    let program = try Command.compileC(source, named: "standin", in: directory.url)

    let run = try ToolProcess.run(
        ["run", "--nframe", "2", "--output", "standin.tm", "--", program], in: directory.url,
        environment: ["SWIFTTRACEMALLOC_PRELOAD": FakeTracer.libm])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(!run.stderr.contains("warning"), "\(run.stderr)")
    // The raw file's counters of captures that went to libgcc, as one note for the process.
    #expect(run.stderr.contains(": 3 stack captures used libgcc's slower unwinder (address no function covers: 3)"), "\(run.stderr)")

    let file = directory.path("standin.c")
    let top = try ToolProcess.run(["top", "standin.tm"], in: directory.url)
    #expect(top.lines == [
        "\(file):\(line(of: "// make's block", in: source)): size=5000 B, count=1, average=5000 B",
        "\(file):\(line(of: "// main's blocks", in: source)): size=200 B, count=2, average=100 B",
    ], "\(top.stdout)")

    let tracebacks = try ToolProcess.run(["top", "standin.tm", "--key-type", "lineno", "--cumulative"], in: directory.url)
    #expect(tracebacks.lines.contains("\(file):\(line(of: "// call of make", in: source)): size=5000 B, count=1, average=5000 B"), "\(tracebacks.stdout)")

    let export = try ToolProcess.run(["export", "standin.tm", "--format", "collapsed", "-o", "standin.folded"], in: directory.url)
    #expect(export.status == 0)
    #expect(try String(contentsOfFile: directory.path("standin.folded"), encoding: .utf8)
        .split(separator: "\n").contains("main;make 5000"))
}

@Test func runWarnsAboutAnImageRebuiltAfterTheRunAndGivesUnknownFramesNotWrongLines() throws {
    let tracer = try FakeTracer()
    let directory = tracer.directory
    let program = try Command.compileC(standInTracer + standInProgram, named: "standin", in: directory.url)
    let rebuilt = try Command.compileC(
        standInTracer + standInProgram.replacingOccurrences(of: "record(5000)", with: "record(6000)"),
        named: "rebuilt", in: directory.url)

    let run = try ToolProcess.run(
        ["run", "--output", "standin.tm", "--", program, rebuilt], in: directory.url,
        environment: ["SWIFTTRACEMALLOC_PRELOAD": FakeTracer.libm])
    #expect(run.status == 0, "\(run.stderr)")
    let warnings = run.errorLines.filter { $0.hasPrefix("swift-tracemalloc: warning: ") }
    #expect(warnings.count == 1, "\(run.stderr)")
    #expect(warnings.first?.contains(program) == true, "\(run.stderr)")

    let top = try ToolProcess.run(["top", "standin.tm"], in: directory.url)
    #expect(top.lines == ["<unknown>:0: size=5200 B, count=3, average=1733 B"], "\(top.stdout)")
}
