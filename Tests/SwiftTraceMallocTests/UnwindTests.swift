import Foundation
import Testing
import TraceMalloc

// Stack capture where code keeps no frame pointers (gcc -O2, plain swiftc -O): the tracebacks must
// be the ones the same program built with frame pointers gives, frame for frame: the compiled
// unwind tables (unwind_tables.c) walk them, and nothing may fall back to libgcc's unwinder.

/// Every traceback of the program's snapshot that passes through `source`, as "file:line"
/// frames oldest first, sorted: what two builds of one program must share. `slowCaptures` is
/// the note `run` prints when captures went to libgcc's unwinder; nil expects none.
private func tracebacks(
    through source: String, of program: String, in directory: TemporaryDirectory, slowCaptures: String? = nil
) throws -> [[String]] {
    let output = "\(URL(fileURLWithPath: program).lastPathComponent).tm"
    let run = try ToolProcess.run(["run", "--nframe", "25", "-o", output, "--", program], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    let note = run.stderr.split(separator: "\n").first { $0.contains("slower unwinder") }.map { String($0) }
    if let slowCaptures {
        #expect(note?.contains(slowCaptures) == true, "\(run.stderr)")
    } else {
        #expect(note == nil)
    }
    let snapshot = try Snapshot.load(from: directory.path(output))
    return snapshot.traces
        .map { $0.traceback.map { "\(URL(fileURLWithPath: $0.filename).lastPathComponent):\($0.lineno)" } }
        .filter { $0.contains { $0.hasPrefix(source + ":") } }
        .sorted { $0.lexicographicallyPrecedes($1) }
}

@Test func cBuiltWithoutFramePointersGivesTheTracebacksOfItsFramePointerBuild() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdlib.h>
        #include <string.h>
        void *volatile kept[64];
        volatile int depth_reached;
        __attribute__((noinline)) void leaf(int i) { kept[i] = malloc(100 + i); depth_reached++; } // leaf
        __attribute__((noinline)) void copy(int i) { kept[i + 32] = strdup("through libc, which keeps none"); depth_reached++; } // copy
        __attribute__((noinline)) void level3(int i) { leaf(i); copy(i); depth_reached++; } // level3
        __attribute__((noinline)) void level2(int i) { level3(i); level3(i + 1); depth_reached++; } // level2
        __attribute__((noinline)) void level1(int i) { level2(i); depth_reached++; } // level1
        int main(void) { for (int i = 0; i < 8; i += 2) level1(i); return 0; } // main
        """
    let withFramePointers = try Command.compileC(source, named: "fp", in: directory.url, flags: ["-O2", "-fno-omit-frame-pointer"])
    let without = try Command.compileC(source, named: "nofp", in: directory.url, flags: ["-O2", "-fomit-frame-pointer"])
    // Both builds read the same source file under the same name.
    let expected = try tracebacks(through: "fp.c", of: withFramePointers, in: directory)
    let actual = try tracebacks(through: "nofp.c", of: without, in: directory)
        .map { $0.map { $0.replacingOccurrences(of: "nofp.c:", with: "fp.c:") } }
    #expect(actual == expected)
    let leaf = "fp.c:\(line(of: "// leaf", in: source))"
    let wholeStack = ["main", "level1", "level2", "level3"].map { "fp.c:\(line(of: "// \($0)", in: source))" } + [leaf]
    #expect(expected.contains(wholeStack), "\(expected)")
    #expect(expected.count == 16, "8 malloc and 8 strdup sites of distinct stacks or sizes: \(expected)")
}

@Test func swiftBuiltWithPlainSwiftcGivesTheTracebacksOfItsFramePointerBuild() throws {
    let directory = try TemporaryDirectory()
    let source = """
        final class Box { var values = [0, 1, 2] }
        nonisolated(unsafe) var kept: [AnyObject] = []
        @inline(never) func inner(_ i: Int) -> Box { Box() } // inner
        @inline(never) func middle(_ i: Int) -> Box { let box = inner(i); box.values.append(i); return box } // middle
        @inline(never) func outer() { for i in 0..<100 { kept.append(middle(i)) } } // outer
        outer() // top level
        """
    try source.write(to: directory.url.appendingPathComponent("boxes.swift"), atomically: true, encoding: .utf8)
    let swiftc = ProcessInfo.processInfo.environment["SWIFT_EXEC"] ?? "/opt/swift/usr/bin/swiftc"
    var builds: [[[String]]] = []
    for (name, flags) in [("fp", ["-Xcc", "-fno-omit-frame-pointer"]), ("nofp", [])] {
        let build = try Command.run(
            swiftc, ["-O", "-g", "-module-name", "boxes"] + flags + ["-o", name, "boxes.swift"], in: directory.url)
        try #require(build.status == 0, "\(build.stderr)")
        builds.append(try tracebacks(through: "boxes.swift", of: directory.path(name), in: directory))
    }
    // Also the three allocations the Swift runtime makes while instantiating Box's array
    // metadata (operator new under __swift_instantiateConcreteTypeFromMangledName, called from
    // Box.init): libgcc's unwinder stopped in libswiftCore there, the tables walk on.
    #expect(builds[1] == builds[0], "\(Set(builds[1]).symmetricDifference(Set(builds[0])))")
    let callers = ["top level", "outer", "middle"].map { "boxes.swift:\(line(of: "// \($0)", in: source))" }
    let inner = "boxes.swift:\(line(of: "// inner", in: source))"
    for build in builds {
        #expect(build.contains { Array($0.prefix(3)) == callers && $0.last == inner }, "\(build.first ?? [])")
    }
}

@Test func aStackThroughASignalHandlerUnwindsIntoTheInterruptedCode() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <signal.h>
        #include <stdlib.h>
        void *volatile kept;
        static void handler(int signal) { kept = malloc(4321); } // handler
        volatile int raised;
        __attribute__((noinline)) void interrupted(void) { raise(SIGUSR1); raised++; } // interrupted
        int main(void) { signal(SIGUSR1, handler); interrupted(); return kept == NULL; } // main
        """
    for (name, flags) in [("sigfp", ["-O2", "-fno-omit-frame-pointer"]), ("signofp", ["-O2", "-fomit-frame-pointer"])] {
        let program = try Command.compileC(source, named: name, in: directory.url, flags: flags)
        // The signal arrives in raise, in libc, whose table covers the signal frame too.
        let stacks = try tracebacks(through: "\(name).c", of: program, in: directory)
        let handler = "\(name).c:\(line(of: "// handler", in: source))"
        let block = try #require(stacks.first { $0.last == handler }, "\(name): \(stacks)")
        #expect(stacks.count == 1, "\(name): \(stacks)")
        // The signal frame is crossed: the handler's caller is the code raise interrupted.
        let callers = ["main", "interrupted"].map { "\(name).c:\(line(of: "// \($0)", in: source))" }
        #expect(Array(block.prefix(2)) == callers, "\(name): \(block)")
    }
}

@Test func aDlopenedLibraryWithoutFramePointersUnwindsToItsCaller() throws {
    let directory = try TemporaryDirectory()
    let library = """
        #include <stdlib.h>
        void *volatile kept[4];
        __attribute__((noinline)) static void fill(int i) { kept[i] = malloc(2000 + i); } // fill
        volatile int filled;
        __attribute__((noinline)) void library_entry(int i) { fill(i); fill(i + 1); filled++; } // entry
        """
    try library.write(to: directory.url.appendingPathComponent("plugin.c"), atomically: true, encoding: .utf8)
    let build = try Command.run(
        "/usr/bin/cc", ["-g", "-O2", "-fomit-frame-pointer", "-fPIC", "-shared", "-o", "libplugin.so", "plugin.c"], in: directory.url)
    try #require(build.status == 0, "\(build.stderr)")
    let source = """
        #include <dlfcn.h>
        int main(void) {
            void *library = dlopen("./libplugin.so", RTLD_NOW);
            void (*entry)(int) = library ? (void (*)(int))dlsym(library, "library_entry") : 0;
            if (entry == 0) return 1;
            entry(0); // call
            return 0;
        }
        """
    let program = try Command.compileC(source, named: "host", in: directory.url, flags: ["-O2", "-fomit-frame-pointer", "-ldl"])
    let stacks = try tracebacks(through: "plugin.c", of: program, in: directory)
    let expected = [
        "host.c:\(line(of: "// call", in: source))",
        "plugin.c:\(line(of: "// entry", in: library))",
        "plugin.c:\(line(of: "// fill", in: library))",
    ]
    // Loaded with a relative path: the image is recorded under its absolute one, and symbolised.
    #expect(stacks.count == 2 && stacks.allSatisfy { Array($0.suffix(3)) == expected }, "\(stacks)")
}
