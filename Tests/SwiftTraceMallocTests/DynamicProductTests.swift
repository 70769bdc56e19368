import Foundation
import Testing

// The TraceMallocDynamic product: the library as a shared object. A program that links it
// (DT_NEEDED, before libc) must get its hooks, and SWIFTTRACEMALLOC must start them.

@Test func aProgramLinkedWithTheSharedLibraryIsTracedWhenSWIFTTRACEMALLOCIsSet() throws {
    let library = ToolProcess.buildDirectory.appendingPathComponent("libTraceMallocDynamic.so").path
    try #require(FileManager.default.fileExists(atPath: library), "\(library) is not built")
    let directory = try TemporaryDirectory()
    let source = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        void tm_get_traced_memory(size_t *current, size_t *peak);
        int main(void) {
            char *volatile block = malloc(123456);
            memset(block, 1, 123456);
            size_t current, peak;
            tm_get_traced_memory(&current, &peak);
            printf("%zu %zu\\n", current, peak);
            free(block);
            return 0;
        }
        """
    let buildDirectory = ToolProcess.buildDirectory.path
    let program = try Command.compileC(
        source, named: "linked", in: directory.url,
        flags: ["-L" + buildDirectory, "-Wl,-rpath," + buildDirectory, "-Wl,--no-as-needed", "-lTraceMallocDynamic"])

    func tracedMemory(_ environment: [String: String]) throws -> [Int] {
        let run = try Command.run(program, [], in: directory.url, environment: environment)
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    }
    // Traced: the block, and nothing much else (the process has barely started).
    let traced = try tracedMemory(["SWIFTTRACEMALLOC": "1"])
    #expect(traced.count == 2)
    #expect((123_456..<123_456 + 65_536).contains(traced.first ?? 0), "\(traced)")
    #expect(traced.last ?? 0 >= traced.first ?? .max)
    // Not asked to trace: the hooks only forward.
    #expect(try tracedMemory(["SWIFTTRACEMALLOC": ""]) == [0, 0])
}
