import Foundation

/// The median of repeated measurements, with their range.
struct Summary: Sendable {
    var median: Double
    var min: Double
    var max: Double
    var count: Int

    /// Summarises `values`; nil when there are none.
    init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        median = sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
        min = sorted[0]
        max = sorted[sorted.count - 1]
        count = sorted.count
    }

    /// `1.23x (1.20–1.31)`.
    var ratio: String {
        "\(formatRatio(median))x (\(formatRatio(min))–\(formatRatio(max)))"
    }

    /// `0.412 s (0.405–0.430)`.
    var seconds: String {
        "\(formatSeconds(median)) s (\(formatSeconds(min))–\(formatSeconds(max)))"
    }
}

/// A ratio with two decimals below 10, fewer above.
func formatRatio(_ value: Double) -> String {
    String(format: value >= 100 ? "%.0f" : value >= 10 ? "%.1f" : "%.2f", value)
}

/// Seconds with three decimals below 1, fewer above.
func formatSeconds(_ value: Double) -> String {
    String(format: value >= 10 ? "%.1f" : value >= 1 ? "%.2f" : "%.3f", value)
}

/// The geometric mean of positive values.
func geometricMean(_ values: [Double]) -> Double {
    exp(values.map { log($0) }.reduce(0, +) / Double(values.count))
}
