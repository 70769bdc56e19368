import Testing
import Workloads

@testable import bench

@Suite struct OverheadTests {
    private func run(_ seconds: Double, cpu: Double? = nil) -> ChildRun {
        ChildRun(seconds: seconds, cpuSeconds: cpu ?? seconds, maxRSSKiB: 1_024, status: 0, stdout: "", stderr: "")
    }

    private var twoWorkloads: Overhead {
        var overhead = Overhead(
            workloads: Workload.all.filter { ["binary-trees", "json"].contains($0.name) },
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
        let ratios = twoWorkloads.ratios(.nframe1, workload: "binary-trees", metric: \.seconds)
        #expect(ratios == [0: 2, 1: 1.5, 2: 4])
    }

    @Test func aRepetitionWithoutItsBaselineIsLeftOut() {
        let ratios = twoWorkloads.ratios(.nframe1, workload: "json", metric: \.seconds)
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
}
