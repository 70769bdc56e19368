import Foundation
import Testing

// The preloaded tracer's side of `run` (Sources/CTraceMalloc/preload.c, rawfile.c): which
// process writes which file when, on real C programs.

/// The first statistic line `top` prints for `file` in `directory`.
private func firstLine(of file: String, in directory: TemporaryDirectory, _ options: [String] = []) throws -> String {
    try ToolProcess.run(["top", file] + options, in: directory.url).lines.first ?? ""
}

/// The `count=` of a statistic line.
private func count(in line: String) -> Int? {
    line.split(separator: " ").first { $0.hasPrefix("count=") }.flatMap { Int($0.dropFirst(6).dropLast()) }
}

/// The collapsed stacks of what `program` still held at exit, traced by `run --nframe N`.
private func collapsedStacks(of program: String, nframe: Int, in directory: TemporaryDirectory) throws -> String {
    let run = try ToolProcess.run(["run", "--nframe", "\(nframe)", "-o", "stacks.tm", "--", program], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    let export = try ToolProcess.run(
        ["export", "stacks.tm", "--format", "collapsed", "--output", "stacks.folded"], in: directory.url)
    #expect(export.status == 0, "\(export.stderr)")
    return try String(contentsOfFile: directory.path("stacks.folded"), encoding: .utf8)
}

@Test func runOfAProgramBuiltWithoutFramePointersRecordsItsWholeStack() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdlib.h>
        void *volatile kept[8];
        __attribute__((noinline, noclone)) void inner(int i) { kept[i] = malloc(4000); }
        __attribute__((noinline, noclone)) void outer(int i) { inner(i); kept[i + 4] = malloc(8); }
        int main(int argc, char **argv) { outer(argc); outer(argc + 1); return kept[1] == NULL; }
        """
    let program = try Command.compileC(source, named: "nofp", in: directory.url, flags: ["-O2", "-fomit-frame-pointer"])

    let stacks = try collapsedStacks(of: program, nframe: 8, in: directory)
    #expect(stacks.contains("main;outer;inner 8000\n"), "\(stacks)")
    #expect(stacks.contains("main;outer 16\n"), "\(stacks)")
}

@Test func runFollowsFramePointersOnWhereTheUnwinderStopsAtAFunctionWithoutUnwindTables() throws {
    // strdup (libc keeps no frame pointers) sends the capture to the CFI unwinder, which stops
    // at a function without unwind tables (written in assembly, with no CFI directives) in an
    // image that keeps frame pointers: the chain goes on from there to main.
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdlib.h>
        #include <string.h>
        __asm__(
            ".text\\n"
            ".globl copy_without_unwind_tables\\n"
            ".type copy_without_unwind_tables, @function\\n"
            "copy_without_unwind_tables:\\n"
            "    push %rbp\\n"
            "    mov %rsp, %rbp\\n"
            "    call strdup@PLT\\n"
            "    pop %rbp\\n"
            "    ret\\n");
        char *copy_without_unwind_tables(const char *string);
        char *volatile kept[2];
        __attribute__((noinline)) void first(void) { kept[0] = copy_without_unwind_tables("a string of some length"); }
        __attribute__((noinline)) void second(void) { kept[1] = copy_without_unwind_tables("another string, longer still"); }
        int main(void) { first(); second(); return kept[0] == NULL || kept[1] == NULL; }
        """
    let program = try Command.compileC(source, named: "nounwind", in: directory.url, flags: ["-fno-omit-frame-pointer"])

    let stacks = try collapsedStacks(of: program, nframe: 5, in: directory)
    // Both, whole: the first capture does not make strdup's frame a "base" that cuts the second.
    #expect(stacks.contains("main;first;copy_without_unwind_tables 24\n"), "\(stacks)")
    #expect(stacks.contains("main;second;copy_without_unwind_tables 29\n"), "\(stacks)")
}

@Test func runOfAProgramWithNoUnwindTablesKeepsEachStrdupCaller() throws {
    // With no unwind tables anywhere in the program, the unwinder stops at strdup's caller: that
    // frame is kept, and strdup's is not taken for the stack's base, which would cut the next.
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdlib.h>
        #include <string.h>
        char *volatile kept[2];
        __attribute__((noinline)) void first(void) { kept[0] = strdup("a string of some length"); }
        __attribute__((noinline)) void second(void) { kept[1] = strdup("another string, longer still"); }
        int main(void) { first(); second(); return kept[0] == NULL || kept[1] == NULL; }
        """
    let program = try Command.compileC(
        source, named: "notables", in: directory.url,
        flags: ["-fno-asynchronous-unwind-tables", "-fno-unwind-tables"])

    let stacks = try collapsedStacks(of: program, nframe: 5, in: directory)
    #expect(stacks.contains("first 24\n"), "\(stacks)")
    #expect(stacks.contains("second 29\n"), "\(stacks)")
}

@Test func runOfAProgramWhoseMainThreadLeavesFirstEndsWithItsLastThread() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <pthread.h>
        #include <stdlib.h>
        #include <time.h>
        static void *blocks[50];
        static void *work(void *unused) {
            for (int i = 0; i < 50; i++) blocks[i] = malloc(700); // thread
            struct timespec pause = {0, 200 * 1000 * 1000};
            nanosleep(&pause, NULL);
            return unused;
        }
        int main(void) {
            pthread_t thread;
            pthread_create(&thread, NULL, work, NULL);
            pthread_exit(NULL);
        }
        """
    let program = try Command.compileC(source, named: "pexit", in: directory.url, flags: ["-pthread"])

    // The interval thread must not keep the process alive once the program's threads are gone.
    let run = try Command.run(
        "/usr/bin/timeout", ["20", ToolProcess.tool, "run", "--interval", "0.05", "-o", "pexit.tm", "--", program],
        in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(statisticLine(try firstLine(of: "pexit.tm", in: directory), endsWith: "pexit.c:\(line(of: "// thread", in: source)): size=34.2 KiB, count=50, average=700 B"))
}

@Test func peakSnapshotHoldsAtLeast99PercentOfThePeakWhileMemoryGoesUpAndDown() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdlib.h>
        static void *blocks[10000];
        int main(void) {
            for (int i = 0; i < 10000; i++) {
                blocks[i] = malloc(1000); // growth
                free(malloc(50));
            }
            for (int i = 0; i < 10000; i++) free(blocks[i]);
            return 0;
        }
        """
    let program = try Command.compileC(source, named: "updown", in: directory.url)

    let run = try ToolProcess.run(["run", "--peak", "-o", "updown.tm", "--", program], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    let peak = try firstLine(of: "updown.tm.peak", in: directory)
    #expect(peak.contains("updown.c:\(line(of: "// growth", in: source)): "), "\(peak)")
    let blocks = try #require(count(in: peak), "\(peak)")
    #expect((9_900...10_000).contains(blocks), "\(peak)")
    #expect(try firstLine(of: "updown.tm", in: directory).contains("updown.c") == false)
}

@Test func forkedChildWritesIntervalSnapshotsUnderItsPid() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <sys/wait.h>
        #include <time.h>
        #include <unistd.h>
        static void *blocks[20];
        int main(void) {
            pid_t child = fork();
            if (child == 0) {
                for (int i = 0; i < 20; i++) blocks[i] = malloc(600); // child
                struct timespec pause = {0, 300 * 1000 * 1000};
                nanosleep(&pause, NULL);
                exit(0);
            }
            printf("%d\\n", (int)child);
            int status;
            waitpid(child, &status, 0);
            return WEXITSTATUS(status);
        }
        """
    let program = try Command.compileC(source, named: "child", in: directory.url)

    let run = try ToolProcess.run(["run", "--interval", "0.05", "-o", "child.tm", "--", program], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    let pid = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
    let intervals = files.compactMap { $0.hasPrefix("child.tm.\(pid).") ? Int($0.dropFirst("child.tm.\(pid).".count)) : nil }
    #expect(intervals.count >= 2, "\(files)")
    let expected = "child.c:\(line(of: "// child", in: source)): size=11.7 KiB, count=20, average=600 B"
    #expect(statisticLine(try firstLine(of: "child.tm.\(pid)", in: directory), endsWith: expected))
    #expect(statisticLine(try firstLine(of: "child.tm.\(pid).\(intervals.max() ?? 0)", in: directory), endsWith: expected))
}

@Test func programThatExecsAnotherInItsPlaceKeepsTheRootNamesAndNumbering() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>
        static void *blocks[30];
        int main(int argc, char **argv) {
            struct timespec pause = {0, 200 * 1000 * 1000};
            if (argc > 1) {
                for (int i = 0; i < 30; i++) blocks[i] = malloc(800); // after exec
                nanosleep(&pause, NULL);
                return 0;
            }
            for (int i = 0; i < 30; i++) blocks[i] = malloc(100); // before exec
            nanosleep(&pause, NULL);
            execl(argv[0], argv[0], "again", (char *)NULL);
            return 1;
        }
        """
    let program = try Command.compileC(source, named: "reexec", in: directory.url)

    let run = try ToolProcess.run(["run", "--interval", "0.05", "-o", "reexec.tm", "--", program], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix("reexec.tm") }
    let numbers = files.compactMap { Int($0.dropFirst("reexec.tm.".count)) }.sorted()
    // One process throughout: no file named by pid, and numbers that go on across the exec.
    #expect(numbers.count >= 4 && numbers == Array(1...numbers.count), "\(files)")
    let before = "reexec.c:\(line(of: "// before exec", in: source)): "
    let after = "reexec.c:\(line(of: "// after exec", in: source)): size=23.4 KiB, count=30, average=800 B"
    #expect(try firstLine(of: "reexec.tm.1", in: directory).contains(before))
    #expect(statisticLine(try firstLine(of: "reexec.tm.\(numbers.last ?? 0)", in: directory), endsWith: after))
    #expect(statisticLine(try firstLine(of: "reexec.tm", in: directory), endsWith: after))
}

@Test func programThatLinksTraceMallocIsTracedByItsOwnCopyOfTheCore() throws {
    // swift-tracemalloc itself links the core, whose hooks then come before the preloaded
    // library's: only the executable's copy sees allocations, and only it may write the file.
    let directory = try TemporaryDirectory()
    let run = try ToolProcess.run(["run", "-o", "tool.tm", "--", ToolProcess.tool, "--help"], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    let top = try firstLine(of: "tool.tm", in: directory)
    #expect(top.contains(".swift:"), "\(top)")
}

@Test func thePreloadedTracerNeedsOnlyLibcAndBringsNoSwiftRuntimeIntoACProgram() throws {
    let directory = try TemporaryDirectory()
    let readelf = try Command.run("/usr/bin/readelf", ["-d", ToolProcess.preloadLibrary], in: directory.url)
    let needed = readelf.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        .compactMap { $0.split(separator: "[").last?.dropLast() }.map(String.init).sorted()
    #expect(readelf.status == 0 && needed == ["libc.so.6", "libgcc_s.so.1"], "\(readelf.stdout)")

    // The traced program's own view: which libraries are mapped in it.
    let source = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        int main(void) {
            char line[4096];
            FILE *maps = fopen("/proc/self/maps", "r");
            while (maps && fgets(line, sizeof line, maps))
                if (strstr(line, "libswift") || strstr(line, "libstdc++") || strstr(line, "libFoundation"))
                    fputs(line, stdout);
            return maps == NULL;
        }
        """
    let program = try Command.compileC(source, named: "maps", in: directory.url)
    let run = try ToolProcess.run(["run", "-o", "maps.tm", "--", program], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.isEmpty, "mapped into the traced program: \(run.stdout)")
    #expect(FileManager.default.fileExists(atPath: directory.path("maps.tm")), "the program was traced")
}
