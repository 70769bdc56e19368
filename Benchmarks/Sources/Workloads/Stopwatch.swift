/// Runs `body` once and returns its result with the seconds it took on the monotonic clock.
///
/// - Parameter body: the work to time.
/// - Returns: what `body` returned, and the elapsed seconds.
/// - Throws: what `body` throws.
public func measureSeconds<Result>(_ body: () throws -> Result) rethrows -> (Result, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    let elapsed = start.duration(to: clock.now)
    return (
        result,
        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    )
}
