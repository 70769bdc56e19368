import Testing
import Workloads

@testable import bench

@Suite struct OverheadTests {
    private func run(_ seconds: Double, cpu: Double? = nil) -> ChildRun {
        ChildRun(seconds: seconds, cpuSeconds: cpu ?? seconds, maxRSSKiB: 1_024, status: 0, stdout: "", stderr: "")
    }

    private var twoWorkloads: Overhead {
        var overhead = Overhead(
            rows: Workload.all.filter { ["binary-trees", "json"].contains($0.name) }.map(Row.init),
            modes: [.untraced, .nframe1])
        overhead.runs[.untraced] = [
            "binary-trees": [0: run(1), 1: run(2), 2: run(1)],
            "json": [0: run(1), 1: run(1)],
        ]
        overhead.runs[.nframe1] = [
            "binary-trees": [0: run(2), 1: run(3), 2: run(4)],
            "json": [0: run(8), 1: run(1), 2: run(5)],
        ]
        return overhead
    }

    @Test func ratiosPairRunsOfTheSameRepetition() {
        let ratios = twoWorkloads.ratios(.nframe1, row: "binary-trees", metric: \.seconds)
        #expect(ratios == [0: 2, 1: 1.5, 2: 4])
    }

    @Test func aRepetitionWithoutItsBaselineIsLeftOut() {
        let ratios = twoWorkloads.ratios(.nframe1, row: "json", metric: \.seconds)
        #expect(ratios == [0: 8, 1: 1])
    }

    @Test func geometricMeansArePerRepetitionOverEveryWorkload() {
        let means = twoWorkloads.geometricMeanRatios(.nframe1, over: ["binary-trees", "json"])
        // Repetition 2 has no json baseline, so only 0 and 1 count.
        #expect(means.count == 2)
        #expect(abs(means[0] - 4) < 1e-12)  // √(2 × 8)
        #expect(abs(means[1] - 1.5.squareRoot()) < 1e-12)  // √(1.5 × 1)
    }

    @Test func aWorkloadWithNoNumbersGivesNoGeometricMean() {
        #expect(twoWorkloads.geometricMeanRatios(.nframe1, over: ["binary-trees", "strings"]).isEmpty)
    }

    /// A C program without frame pointers and its frame-pointer build, untraced, under run and
    /// under heaptrack.
    private var twins: Overhead {
        var overhead = Overhead(
            rows: [
                Row(name: "c", label: "C", target: .workload([]), inGeomean: true, framePointerTwin: "c-fp"),
                Row(name: "c-fp", label: "C, FP", target: .workload([]), inGeomean: false),
            ],
            modes: [.untraced, .run25, .heaptrack])
        overhead.runs[.untraced] = ["c": [0: run(1), 1: run(1), 2: run(2)], "c-fp": [0: run(1), 1: run(1)]]
        overhead.runs[.run25] = ["c": [0: run(3), 1: run(1), 2: run(2.5)], "c-fp": [0: run(2), 1: run(2)]]
        overhead.runs[.heaptrack] = ["c": [0: run(5, cpu: 9), 1: run(4), 2: run(4)]]
        return overhead
    }

    @Test func addedTimeRatioDividesWhatEachTracerAdds() {
        let ratios = twins.addedTimeRatios(.heaptrack, to: .run25, row: "c", metric: \.seconds)
        // (5 − 1) ÷ (3 − 1), and (4 − 2) ÷ (2.5 − 2); in repetition 1 run added nothing.
        #expect(ratios == [0: 2, 2: 4])
        #expect(twins.addedTimeRatios(.heaptrack, to: .run25, row: "c", metric: \.cpuSeconds)[0] == 4)
    }

    @Test func addedTimeRatioNeedsAllThreeRuns() {
        #expect(twins.addedTimeRatios(.heaptrack, to: .run25, row: "c-fp", metric: \.seconds).isEmpty)
    }

    @Test func framePointerRatiosCompareARowWithItsTwin() {
        #expect(twins.framePointerRatios(.run25, row: "c", metric: \.seconds) == [0: 1.5, 1: 0.5])
        #expect(twins.framePointerRatios(.run25, row: "c-fp", metric: \.seconds).isEmpty)
    }

    @Test func geometricMeansTakeAnyPerRowValues() {
        let means = twins.geometricMeans(over: twins.geomeanRows) {
            twins.addedTimeRatios(.heaptrack, to: .run25, row: $0, metric: \.seconds)
        }
        #expect(twins.geomeanRows == ["c"])
        #expect(means == [2, 4])
    }
}
