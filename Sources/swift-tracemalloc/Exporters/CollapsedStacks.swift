import TraceMalloc

/// Brendan Gregg's collapsed-stack text: one `frame;frame;… bytes` line per distinct stack,
/// oldest frame first, as `flamegraph.pl`, `inferno-flamegraph` and speedscope read it.
struct CollapsedStacks {
    /// The distinct stacks and the bytes allocated under each, sorted by stack text.
    let lines: [(stack: String, bytes: Int)]

    /// Sums the sizes of `snapshot`'s traces per stack.
    init(_ snapshot: Snapshot) {
        var bytes: [String: Int] = [:]
        // Many traces share a traceback: spell each traceback once.
        var stacks: [Traceback: String] = [:]
        for trace in snapshot.traces {
            let stack = stacks[trace.traceback] ?? {
                let text = trace.traceback.map(Self.text(of:)).joined(separator: ";")
                stacks[trace.traceback] = text
                return text
            }()
            bytes[stack, default: 0] += trace.size
        }
        lines = bytes.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value) }
    }

    /// The whole file, one line per stack.
    var text: String {
        lines.map { "\($0.stack) \($0.bytes)\n" }.joined()
    }

    /// How a frame appears in a stack: its demangled function when known, else `file:line`.
    ///
    /// The format has no quoting, so `%`, the `;` that separates frames and line breaks are
    /// percent-encoded. Spaces are left alone: readers take the count after the last space.
    static func text(of frame: Frame) -> String {
        let name = frame.function ?? "\(frame.filename):\(frame.lineno)"
        var escaped = ""
        for character in name.unicodeScalars {
            switch character {
            case "%": escaped += "%25"
            case ";": escaped += "%3B"
            case "\n": escaped += "%0A"
            case "\r": escaped += "%0D"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
