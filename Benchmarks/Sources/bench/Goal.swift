/// One speed or memory goal of issue 6, checked against a measured median.
struct Goal: Sendable {
    /// Which comparison passes.
    enum Direction: Sendable {
        case atMost, atLeast
    }

    /// What is measured, for example `nframe 1, geomean (b)–(e)`.
    var name: String
    /// The target value.
    var target: Double
    var direction: Direction
    /// The unit after the numbers: `x`, ` B` or ` s`.
    var unit: String
    /// The measured median, or why there is none.
    var measured: Result<Double, Unavailable>
    /// For time ratios, the same by CPU time: steadier than wall time on a busy machine.
    var cpuMeasured: Result<Double, Unavailable>? = nil

    /// `≤ 1.30x`.
    var targetText: String {
        (direction == .atMost ? "≤ " : "≥ ") + formatted(target)
    }

    /// The measured value, or `n/a (reason)`.
    var measuredText: String {
        switch measured {
        case .success(let value): formatted(value)
        case .failure(let reason): "n/a (\(reason.reason))"
        }
    }

    /// PASS, MISS, or n/a when nothing was measured.
    var verdict: String {
        verdict(measured)
    }

    /// `1.05x PASS` by CPU time, or nothing when the goal is not a time ratio.
    var cpuText: String {
        guard let cpuMeasured, case .success(let value) = cpuMeasured else { return "" }
        return formatted(value) + " " + verdict(cpuMeasured)
    }

    private func verdict(_ result: Result<Double, Unavailable>) -> String {
        guard case .success(let value) = result else { return "n/a" }
        let met = direction == .atMost ? value <= target : value >= target
        return met ? "PASS" : "MISS"
    }

    private func formatted(_ value: Double) -> String {
        unit == " s" ? formatSeconds(value) + unit : formatRatio(value) + unit
    }
}
