import Foundation
import Testing

@testable import bench

@Suite struct ProgramsTests {
    @Test func jqInputIsTheSameEveryTimeAndValidJSON() throws {
        let text = Programs.json(objects: 3)
        #expect(text == Programs.json(objects: 3))
        let array = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        #expect(array.count == 3)
        #expect(array[2]["name"] as? String == "item-2")
        #expect((array[2]["tags"] as? [String])?.count == 6)
    }

    /// Tools at made-up paths, none of which runs.
    private let tools = Tools(
        buildDirectory: "/b", workloads: .found("/b/workloads"), linked: .found("/b/workloads-linked"),
        linkedStatic: .found("/b/workloads-linked-static"), tracerCosts: .missing("no"),
        swiftTraceMalloc: .found("/b/swift-tracemalloc"), preload: .found("/b/libTraceMallocPreload.so"),
        heaptrack: .found("/usr/bin/heaptrack"), valgrind: .missing("no"), programDirectory: "/p",
        jq: .found("/usr/bin/jq"), perl: .missing("perl is not installed"))

    @Test func aProgramRunsUntracedUnderRunAndUnderHeaptrack() throws {
        let target = Target.program(.success(Command(executable: "/bin/echo", arguments: ["hi"])))
        #expect(try Mode.untraced.command(target, tools: tools, scratch: "/s").get().displayed == "/bin/echo hi")
        #expect(
            try Mode.run1.command(target, tools: tools, scratch: "/s").get().displayed
                == "/b/swift-tracemalloc run --nframe 1 --output /s/run.tm -- /bin/echo hi")
        #expect(
            try Mode.heaptrack.command(target, tools: tools, scratch: "/s").get().displayed
                == "/usr/bin/heaptrack -o /s/heaptrack /bin/echo hi")
        #expect(throws: Unavailable.self) { try Mode.nframe25.command(target, tools: tools, scratch: "/s").get() }
    }

    @Test func aProgramThatIsNotThereIsUnavailableInEveryMode() {
        let target = Target.program(tools.perl.command(["-e", "1"]))
        for mode in Mode.programModes {
            #expect(throws: Unavailable.self) { try mode.command(target, tools: tools, scratch: "/s").get() }
        }
    }

    @Test func onlyTheBuildsWithoutFramePointersMakeTheGeometricMean() throws {
        let scratch = NSTemporaryDirectory() + "/bench-programs-tests-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let rows = Programs.rows(tools: tools, scratch: scratch)
        #expect(rows.filter(\.inGeomean).map(\.name) == ["c-binary-trees", "swift-binary-trees", "jq", "perl"])
        #expect(rows.compactMap(\.framePointerTwin) == ["c-binary-trees-fp", "swift-binary-trees-fp"])
        #expect(FileManager.default.fileExists(atPath: scratch + "/programs-input.json"))
    }
}
