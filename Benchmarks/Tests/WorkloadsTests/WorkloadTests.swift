import Testing
import Workloads

/// The checksums pin down that each workload does its whole work: a release build that dropped
/// allocations, or a size that stopped reaching the code, would change them.
@Suite struct WorkloadTests {
    /// Nodes checked by binary-trees of depth 6: the stretch tree (255 nodes), 64 trees of depth
    /// 4 (31 each), 16 of depth 6 (127 each) and the long-lived tree (127).
    private let depth6Nodes: UInt64 = 255 + 64 * 31 + 16 * 127 + 127

    @Test func binaryTreesChecksumCountsEveryNode() {
        #expect(Workload.named("binary-trees")?.run(6) == depth6Nodes)
    }

    @Test func twoThreadsDoBinaryTreesTwice() {
        #expect(Workload.named("binary-trees-2t")?.run(6) == 2 * depth6Nodes)
    }

    @Test func mallocLoopTouchesEveryBlock() {
        // Each block adds bits 4–11 of its address; glibc hands back 16-byte-aligned non-null
        // blocks, so the sum grows with the pairs but stays under 256 per pair.
        let checksum = Workload.named("malloc64")?.run(1_000) ?? 0
        #expect(checksum > 0 && checksum < 256 * 1_000)
    }

    @Test func jsonRoundTripsSumTheEncodedBytes() {
        let once = Workload.named("json")?.run(1) ?? 0
        #expect(once > 50_000)
        #expect(Workload.named("json")?.run(3) == 3 * once)
    }

    @Test func stringChurnKeepsAFixedSetOfKeys() {
        #expect(Workload.named("strings")?.run(10_000) == Workload.named("strings")?.run(10_000))
        #expect((Workload.named("strings")?.run(10_000) ?? 0) > 10_000)
    }

    @Test func everyWorkloadHasAUniqueNameAndALetter() {
        #expect(Set(Workload.all.map(\.name)).count == Workload.all.count)
        #expect(Workload.all.map { $0.summary.prefix(3) } == ["(a)", "(b)", "(c)", "(d)", "(e)"])
    }
}
