import ArgumentParser
import TraceMalloc

extension KeyType: ExpressibleByArgument {}

/// How `top` and `compare` group and how many lines they print.
struct StatisticOptions: ParsableArguments {
    @Option(help: "Group traces by the most recent frame's file, its file and line, or the whole traceback.")
    var keyType: KeyType = .lineno

    @Flag(help: "Count each trace for every frame of its traceback, not only the most recent one.")
    var cumulative = false

    // .unconditional: "-1" is this option's value (then refused by validate), not an unknown flag
    // that left the option without one ("Missing value").
    @Option(parsing: .unconditional, help: "The number of lines to print; 0 prints them all.")
    var limit = 10

    func validate() throws {
        guard limit >= 0 else {
            throw ValidationError("--limit must be 0 (all lines) or more, not \(limit)")
        }
        if cumulative && keyType == .traceback {
            throw ValidationError(TraceMallocError.cumulativeWithTraceback.description)
        }
    }

    /// The first `limit` lines of `lines`, or all of them for `--limit 0`.
    func limited<Line>(_ lines: [Line]) -> ArraySlice<Line> {
        limit == 0 ? lines[...] : lines.prefix(limit)
    }
}
