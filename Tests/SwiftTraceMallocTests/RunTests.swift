import Foundation
import Testing
import TraceMalloc

// `run` end to end: real programs under the real preloaded tracer, except where a shell script
// stands in for the tracer to check the contract between the two.

/// The test's statistic lines name files by their DWARF path; this is the tail a test can know.
func statisticLine(_ line: String, endsWith expected: String) -> Bool {
    line.hasSuffix(expected) && (line.dropLast(expected.count).isEmpty || line.dropLast(expected.count).hasSuffix("/"))
}

@Test func runTracesACProgramAndTopNamesItsLines() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdlib.h>
        static void *small[1000], *large[10];
        int main(void) {
            for (int i = 0; i < 1000; i++)
                small[i] = malloc(100); // site A
            for (int i = 0; i < 10; i++)
                large[i] = malloc(5000); // site B
            return small[999] == NULL || large[9] == NULL;
        }
        """
    let program = try Command.compileC(source, named: "prog", in: directory.url)

    let run = try ToolProcess.run(["run", "--output", "prog.tm", "--", program], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(!FileManager.default.fileExists(atPath: directory.path("prog.tm.raw")))

    let top = try ToolProcess.run(["top", "prog.tm", "--key-type", "lineno"], in: directory.url)
    #expect(top.status == 0, "\(top.stderr)")
    try #require(top.lines.count >= 2, "\(top.stdout)")
    let a = line(of: "site A", in: source)
    let b = line(of: "site B", in: source)
    #expect(statisticLine(top.lines[0], endsWith: "prog.c:\(a): size=97.7 KiB, count=1000, average=100 B"), "\(top.lines[0])")
    #expect(statisticLine(top.lines[1], endsWith: "prog.c:\(b): size=48.8 KiB, count=10, average=5000 B"), "\(top.lines[1])")
}

@Test func runPassesOnTheProgramsExitStatus() throws {
    let directory = try TemporaryDirectory()
    let run = try ToolProcess.run(["run", "--output", "sh.tm", "--", "sh", "-c", "echo out; echo err >&2; exit 3"], in: directory.url)
    #expect(run.status == 3)
    #expect(run.stdout == "out\n")
    #expect(run.errorLines.first == "err")
}

@Test func runOfAProgramThatCannotRunSaysSoAndExits127WritingNothing() throws {
    let directory = try TemporaryDirectory()
    try Data("not a program".utf8).write(to: directory.url.appendingPathComponent("text"))
    chmod(directory.path("text"), 0o755)
    for program in ["no-such-program-anywhere", "./missing", "./text", directory.url.path] {
        let run = try ToolProcess.run(["run", "--output", "x.tm", "--", program], in: directory.url)
        #expect(run.status == 127, "\(program)")
        #expect(run.errorLines.count == 1, "\(program): \(run.stderr)")
        #expect(run.stderr.contains("cannot run '\(program)'"), "\(program): \(run.stderr)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["text"])
}

@Test func runRefusesADirectoryAtAnyOutputPathBeforeTheProgramRunsAndRemovesNothing() throws {
    for taken in ["out.tm", "out.tm.3", "out.tm.peak", "out.tm.4242", "out.tm.4242.2", "out.tm.raw"] {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path(taken), withIntermediateDirectories: false)
        try Data("the user's".utf8).write(to: directory.url.appendingPathComponent(taken + "/keep"))
        try Data("an old snapshot".utf8).write(to: directory.url.appendingPathComponent("out.tm.1"))

        let run = try ToolProcess.run(["run", "-o", "out.tm", "--", "sh", "-c", "touch ran"], in: directory.url)
        #expect(run.status == 2, "\(taken): \(run.stderr)")
        #expect(run.errorLines == ["swift-tracemalloc: \(taken) is a directory, where run writes a snapshot; nothing was run or removed (choose another --output)"])
        #expect(!FileManager.default.fileExists(atPath: directory.path("ran")), "\(taken): the program ran")
        #expect(try String(contentsOfFile: directory.path(taken + "/keep"), encoding: .utf8) == "the user's")
        #expect(FileManager.default.fileExists(atPath: directory.path("out.tm.1")), "\(taken): an old file was removed")
    }
}

@Test func runTracesForkedAndExecedChildrenIntoTheirOwnFiles() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdlib.h>
        #include <string.h>
        #include <sys/wait.h>
        #include <unistd.h>
        static void *blocks[100];
        int main(int argc, char **argv) {
            if (argc > 1 && strcmp(argv[1], "exec") == 0) {
                for (int i = 0; i < 100; i++) blocks[i] = malloc(300); // exec child
                return 0;
            }
            for (int i = 0; i < 100; i++) blocks[i] = malloc(200); // parent
            pid_t forked = fork();
            if (forked == 0) {
                for (int i = 0; i < 100; i++) blocks[i] = malloc(400); // fork child
                exit(0);
            }
            pid_t execed = fork();
            if (execed == 0) {
                execl(argv[0], argv[0], "exec", (char *)NULL);
                _exit(99);
            }
            int status1, status2;
            waitpid(forked, &status1, 0);
            waitpid(execed, &status2, 0);
            return WEXITSTATUS(status1) + WEXITSTATUS(status2);
        }
        """
    let program = try Command.compileC(source, named: "forks", in: directory.url)

    let run = try ToolProcess.run(["run", "--output", "forks.tm", "--", program], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    let files = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
    let children = files.filter { $0.hasPrefix("forks.tm.") && Int($0.dropFirst("forks.tm.".count)) != nil }
    #expect(children.count == 2, "\(files)")
    #expect(!files.contains { $0.hasSuffix(".raw") }, "\(files)")

    func firstLine(_ file: String) throws -> String {
        try ToolProcess.run(["top", file], in: directory.url).lines.first ?? ""
    }
    #expect(statisticLine(try firstLine("forks.tm"), endsWith: "forks.c:\(line(of: "// parent", in: source)): size=19.5 KiB, count=100, average=200 B"))
    let childLines = try children.map(firstLine).sorted()
    #expect(childLines.contains { statisticLine($0, endsWith: "forks.c:\(line(of: "// exec child", in: source)): size=29.3 KiB, count=100, average=300 B") }, "\(childLines)")
    #expect(childLines.contains { statisticLine($0, endsWith: "forks.c:\(line(of: "// fork child", in: source)): size=39.1 KiB, count=100, average=400 B") }, "\(childLines)")
}

@Test func runOfAProgramKilledBySignalKeepsItsIntervalSnapshots() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdlib.h>
        #include <sys/resource.h>
        #include <time.h>
        static void *blocks[100];
        int main(void) {
            struct rlimit none = {0, 0};
            setrlimit(RLIMIT_CORE, &none);
            for (int i = 0; i < 100; i++) blocks[i] = malloc(1000); // kept
            struct timespec pause = {0, 600 * 1000 * 1000};
            nanosleep(&pause, NULL);
            *(volatile int *)blocks[0] = *(volatile int *)0; // crash
            return 0;
        }
        """
    let program = try Command.compileC(source, named: "crash", in: directory.url)

    let run = try ToolProcess.run(["run", "--interval", "0.1", "--output", "crash.tm", "--", program], in: directory.url)
    #expect(run.status == 139)
    let message = try #require(run.errorLines.first { $0.contains("was killed by") }, "\(run.stderr)")
    let last = try #require(message.split(separator: "last snapshot: ").last.map(String.init))
    #expect(message.hasPrefix("swift-tracemalloc: crash was killed by SIGSEGV; last snapshot: crash.tm."), "\(message)")
    #expect(Int(last.dropFirst("crash.tm.".count))! >= 2, "\(message)")
    #expect(!FileManager.default.fileExists(atPath: directory.path("crash.tm")))

    let top = try ToolProcess.run(["top", last], in: directory.url)
    #expect(top.status == 0, "\(top.stderr)")
    #expect(statisticLine(top.lines.first ?? "", endsWith: "crash.c:\(line(of: "// kept", in: source)): size=97.7 KiB, count=100, average=1000 B"), "\(top.stdout)")
    let intervals = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix("crash.tm.") }
    for file in intervals {
        #expect(try ToolProcess.run(["top", file], in: directory.url).status == 0, "\(file)")
    }
}

@Test func runWritesPeakAndIntervalSnapshots() throws {
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdlib.h>
        #include <time.h>
        static void *blocks[1000];
        int main(void) {
            for (int i = 0; i < 1000; i++) blocks[i] = malloc(1000); // burst
            struct timespec pause = {0, 300 * 1000 * 1000};
            nanosleep(&pause, NULL);
            for (int i = 0; i < 1000; i++) free(blocks[i]);
            nanosleep(&pause, NULL);
            return 0;
        }
        """
    let program = try Command.compileC(source, named: "burst", in: directory.url)

    let run = try ToolProcess.run(["run", "--peak", "--interval", "0.1", "-o", "burst.tm", "--", program], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    let burst = "burst.c:\(line(of: "// burst", in: source)): size=977 KiB, count=1000, average=1000 B"
    let peak = try ToolProcess.run(["top", "burst.tm.peak"], in: directory.url)
    #expect(statisticLine(peak.lines.first ?? "", endsWith: burst), "\(peak.stdout) \(run.stderr)")
    #expect(FileManager.default.fileExists(atPath: directory.path("burst.tm.1")))
    let atExit = try ToolProcess.run(["top", "burst.tm"], in: directory.url)
    #expect(!atExit.stdout.contains("burst.c:\(line(of: "// burst", in: source))"), "\(atExit.stdout)")
}

@Test func runOfTheSwiftDemoNamesItsMainSwiftLinesAndFunctions() throws {
    let directory = try TemporaryDirectory()
    let demoSource = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/tracemalloc-demo/main.swift")
    let source = try String(contentsOf: demoSource, encoding: .utf8)
    let demo = directory.path("demo")
    let swiftc = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SWIFT_EXEC"] ?? "/opt/swift/usr/bin/swiftc").path
    let build = try Command.run(swiftc, ["-O", "-g", "-module-name", "demo", "-o", demo, demoSource.path], in: directory.url)
    try #require(build.status == 0, "\(build.stderr)")

    let run = try ToolProcess.run(["run", "--nframe", "8", "--output", "demo.tm", "--", demo], in: directory.url)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("1000 tiles, 10000 particles"))

    let top = try ToolProcess.run(["top", "demo.tm"], in: directory.url)
    try #require(top.lines.count >= 2, "\(top.stdout)")
    let tiles = "\(demoSource.path):\(line(of: "[UInt8](repeating:", in: source)): "
    let particles = "\(demoSource.path):\(line(of: "Particle(seed:", in: source)): "
    #expect(top.lines[0].hasPrefix(tiles) && top.lines[0].contains("count=100"), "\(top.stdout)")
    #expect(top.lines[1].hasPrefix(particles) && top.lines[1].contains("count=1000"), "\(top.stdout)")

    let export = try ToolProcess.run(["export", "demo.tm", "--format", "collapsed", "--output", "demo.folded"], in: directory.url)
    #expect(export.status == 0, "\(export.stderr)")
    let stacks = try String(contentsOfFile: directory.path("demo.folded"), encoding: .utf8)
    // Frames are demangled functions, oldest first, from the program's `main` (libc's entry
    // frames below it are dropped); below loadTiles() and spawnParticles() come the calls the
    // compiler inlined or specialised there (Collection.map, the closure).
    let lines = stacks.split(separator: "\n")
    #expect(lines.contains { $0.hasPrefix("main;loadTiles();") }, "\(stacks)")
    #expect(lines.contains { $0.hasPrefix("main;spawnParticles();") }, "\(stacks)")
}

/// A shell script standing in for the preloaded tracer: it writes hand-made raw files, so that
/// `run`'s side of the contract is tested apart from the C writer. Its preload library is libm,
/// which loads anywhere and does nothing.
struct FakeTracer {
    let directory: TemporaryDirectory
    /// The raw file the script copies; it names an image that does not exist.
    let raw: RawSnapshot

    init() throws {
        directory = try TemporaryDirectory()
        raw = RawSnapshot(
            tracebackLimit: 4, pid: 4242,
            images: [.init(path: directory.path("deleted-after-the-run.so"), buildID: [1, 2, 3], bias: 0, start: 0x1000, end: 0x9000)],
            tracebacks: [.init(returnAddresses: [0x1100, 0x1200], totalDepth: 9)],
            records: [.init(domain: 0, size: 64, traceback: 0), .init(domain: 7, size: 36, traceback: 0)],
            current: 100, peak: 150)
        try Data(RawFileBuilder.encode(raw)).write(to: directory.url.appendingPathComponent("template.raw"))
    }

    static let libm = ["/lib/x86_64-linux-gnu/libm.so.6", "/lib/aarch64-linux-gnu/libm.so.6", "/lib64/libm.so.6"]
        .first { FileManager.default.fileExists(atPath: $0) }!

    /// Writes `script` as tracer.sh, after a function `own FILE` that writes the template as
    /// this process's own raw file (its pid patched in, as the tracer writes it).
    func writeScript(_ script: String) throws {
        let own = """
            ulimit -c 0
            own() {
                cp template.raw "$1"
                i=0; bytes=""
                while [ $i -lt 8 ]; do bytes="$bytes\\\\$(printf %o $(( ($$ >> (8 * i)) & 255 )))"; i=$((i + 1)); done
                printf "$bytes" | dd of="$1" bs=1 seek=16 conv=notrunc 2>/dev/null
            }

            """
        try (own + script).write(to: directory.url.appendingPathComponent("tracer.sh"), atomically: true, encoding: .utf8)
    }

    /// The environment that makes `run` preload libm rather than the tracer.
    var environment: [String: String] { ["SWIFTTRACEMALLOC_PRELOAD": Self.libm] }

    /// Runs `swift-tracemalloc run OPTIONS -- sh tracer.sh` with `script` as tracer.sh.
    func run(_ options: [String], script: String, environment: [String: String] = [:]) throws -> ToolProcess.Result {
        try writeScript(script)
        return try ToolProcess.run(
            ["run"] + options + ["--", "sh", "tracer.sh"], in: directory.url,
            environment: environment.merging(self.environment) { $1 })
    }

    /// The files whose name starts with `prefix`, sorted.
    func files(_ prefix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix(prefix) }.sorted()
    }
}

@Test func runGivesTheTracerItsEnvironmentAndConvertsItsRawFiles() throws {
    let tracer = try FakeTracer()
    let directory = tracer.directory
    _ = FileManager.default.createFile(atPath: directory.path("fake.tm.7"), contents: Data("stale".utf8))
    let run = try tracer.run(
        ["--nframe", "4", "--interval", "0.25", "--peak", "--output", "fake.tm"],
        script: """
            env | grep -E '^(SWIFTTRACEMALLOC|LD_PRELOAD)' | sort > env.txt
            cp template.raw "$SWIFTTRACEMALLOC_OUTPUT.raw"
            cp template.raw "$SWIFTTRACEMALLOC_OUTPUT.1.raw"
            cp template.raw "$SWIFTTRACEMALLOC_OUTPUT.peak.raw"
            head -c 20 template.raw > "$SWIFTTRACEMALLOC_OUTPUT.2.raw"
            exit 5
            """,
        environment: ["SWIFTTRACEMALLOC_INTERVAL": "9"])
    #expect(run.status == 5)

    let environment = try String(contentsOfFile: directory.path("env.txt"), encoding: .utf8)
    let realDirectory = URL(fileURLWithPath: directory.url.path).resolvingSymlinksInPath().path
    #expect(environment.contains("LD_PRELOAD=\(FakeTracer.libm)"))
    #expect(environment.contains("SWIFTTRACEMALLOC=4\n"))
    #expect(environment.contains("SWIFTTRACEMALLOC_INTERVAL=0.250000\n"))
    #expect(environment.contains("SWIFTTRACEMALLOC_PEAK=1\n"))
    #expect(environment.contains("SWIFTTRACEMALLOC_OUTPUT=\(directory.path("fake.tm"))\n")
        || environment.contains("SWIFTTRACEMALLOC_OUTPUT=\(realDirectory)/fake.tm\n"), "\(environment)")
    #expect(!environment.contains("SWIFTTRACEMALLOC_PRELOAD"))

    #expect(try tracer.files("fake.tm") == ["fake.tm", "fake.tm.1", "fake.tm.2.raw", "fake.tm.peak"])
    #expect(run.stderr.contains("fake.tm.2.raw: truncated file"), "\(run.stderr)")
    #expect(run.stderr.contains("warning: ") && run.stderr.contains("deleted-after-the-run.so"), "\(run.stderr)")

    let snapshot = try Snapshot.load(from: directory.path("fake.tm"))
    #expect(snapshot.tracebackLimit == 4)
    #expect(snapshot.traces.map(\.size) == [64, 36])
    #expect(snapshot.traces.map(\.domain) == [0, 7])
    #expect(snapshot.traces[0].traceback.allSatisfy { $0.filename == "<unknown>" && $0.lineno == 0 })
}

@Test func runOfAProgramKilledBySignalNamesTheSignalAndItsLastSnapshot() throws {
    let tracer = try FakeTracer()
    let run = try tracer.run(
        ["--interval", "1", "--output", "killed.tm"],
        script: """
            own "$SWIFTTRACEMALLOC_OUTPUT.1.raw"
            own "$SWIFTTRACEMALLOC_OUTPUT.2.raw"
            own "$SWIFTTRACEMALLOC_OUTPUT.peak.raw"
            cp template.raw "$SWIFTTRACEMALLOC_OUTPUT.4242.raw"
            cp template.raw "$SWIFTTRACEMALLOC_OUTPUT.4242.7.raw"
            kill -SEGV $$
            """)
    #expect(run.status == 139)
    #expect(run.errorLines.last == "swift-tracemalloc: sh was killed by SIGSEGV; last snapshot: killed.tm.2", "\(run.stderr)")
    let files = try tracer.files("killed.tm")
    #expect(files == ["killed.tm.1", "killed.tm.2", "killed.tm.4242", "killed.tm.4242.7", "killed.tm.peak"])
    for file in files {
        #expect(try Snapshot.load(from: tracer.directory.path(file)).traces.count == 2)
    }
}

@Test func runOfAProgramKilledBeforeAnySnapshotSaysSo() throws {
    let tracer = try FakeTracer()
    let run = try tracer.run(["--output", "early.tm"], script: "kill -KILL $$")
    #expect(run.status == 137)
    #expect(run.errorLines.last == "swift-tracemalloc: sh was killed by SIGKILL; it wrote no snapshot", "\(run.stderr)")
    #expect(try tracer.files("early.tm").isEmpty)
}

@Test func runPassesSIGTERMOnToTheProgramAndStillConvertsItsSnapshots() throws {
    let tracer = try FakeTracer()
    let directory = tracer.directory
    try tracer.writeScript("""
        own "$SWIFTTRACEMALLOC_OUTPUT.1.raw.tmp"
        mv "$SWIFTTRACEMALLOC_OUTPUT.1.raw.tmp" "$SWIFTTRACEMALLOC_OUTPUT.1.raw"
        exec sleep 30
        """)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: ToolProcess.tool)
    process.arguments = ["run", "--output", "term.tm", "--", "sh", "tracer.sh"]
    process.currentDirectoryURL = directory.url
    process.environment = ProcessInfo.processInfo.environment.merging(tracer.environment) { $1 }
    let errors = Pipe()
    process.standardError = errors
    try withShellSignalMask { try process.run() }
    let deadline = Date().addingTimeInterval(10)
    while !FileManager.default.fileExists(atPath: directory.path("term.tm.1.raw")) && Date() < deadline {
        Thread.sleep(forTimeInterval: 0.02)
    }
    Thread.sleep(forTimeInterval: 0.1)  // let `exec sleep` happen
    process.terminate()
    let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()

    #expect(process.terminationReason == .exit && process.terminationStatus == 143, "\(stderr)")
    #expect(stderr.hasSuffix("swift-tracemalloc: sh was killed by SIGTERM; last snapshot: term.tm.1\n"), "\(stderr)")
    #expect(try tracer.files("term.tm") == ["term.tm.1"])
}
