extension Traceback {
    /// Formats the traceback as Python's traceback module does: one `  File "<file>", line <n>`
    /// line per frame, each followed by `    <source line>` when the file has that line.
    ///
    /// `limit` selects frames from the oldest-first list as Python's code does (its
    /// documentation says otherwise for negative limits):
    ///
    ///     traceback.format(limit: 2)   // the 2 most recent frames, oldest of them first
    ///     traceback.format(limit: -2)  // all but the 2 most recent frames
    ///     traceback.format(limit: 0)   // []
    ///
    /// Source lines are read as `linecache.getline` reads them (see `SourceLines`).
    ///
    /// - Parameters:
    ///   - limit: nil for every frame; `n > 0` for the `n` most recent; `n <= 0` for all but
    ///     the `-n` most recent.
    ///   - mostRecentFirst: Whether to list the selected frames most recent first.
    /// - Returns: The lines, without line terminators.
    ///
    /// Python: `Traceback.format`
    public func format(limit: Int? = nil, mostRecentFirst: Bool = false) -> [String] {
        var selection = frames[...]
        if let limit {
            // Python's `self[:limit]`: 0 is an end index, so it selects nothing.
            selection = limit > 0
                ? frames.suffix(limit)
                : frames.prefix(limit == 0 ? 0 : Swift.max(0, frames.count + limit))
        }
        let ordered = mostRecentFirst ? Array(selection.reversed()) : Array(selection)
        var sources = SourceLines()
        var lines: [String] = []
        for frame in ordered {
            lines.append("  File \"\(frame.filename)\", line \(frame.lineno)")
            let source = sources.line(frame.lineno, of: frame.filename)
            if !source.isEmpty {
                lines.append("    " + source)
            }
        }
        return lines
    }
}
