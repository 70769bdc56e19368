/// A shell pattern, matched as Python's `fnmatch.fnmatchcase` on POSIX matches it.
///
/// Python translates the pattern to a regular expression; this compiles the same rules to tokens
/// over code points. The whole name must match, case-sensitively: `*` matches any run of code
/// points (`/` and newlines too), `?` exactly one, `[set]` one in the set and `[!set]` one
/// outside it. In a set, `a-z` is a range, a `]` right after `[` or `[!` is literal, and a
/// reversed range such as `z-a` is dropped along with its ends. An unclosed `[` is a literal,
/// `\` is an ordinary character and a leading `.` is not special.
///
/// Python: `fnmatch.translate` / `fnmatch.fnmatchcase`
struct FNMatchPattern: Sendable {
    private enum Token: Sendable {
        case literal(Unicode.Scalar)
        case anyScalar
        case star
        case set(ScalarSet)
    }

    /// The code points of one `[…]`.
    private struct ScalarSet: Sendable {
        var negated = false
        var members: [Unicode.Scalar] = []
        var ranges: [ClosedRange<Unicode.Scalar>] = []

        func contains(_ scalar: Unicode.Scalar) -> Bool {
            let listed = members.contains(scalar) || ranges.contains { $0.contains(scalar) }
            return listed != negated
        }
    }

    private var tokens: [Token] = []

    /// Compiles `pattern`.
    init(_ pattern: String) {
        let pattern = Array(pattern.unicodeScalars)
        var index = 0
        while index < pattern.count {
            let scalar = pattern[index]
            index += 1
            switch scalar {
            case "*":
                if case .star? = tokens.last { continue }
                tokens.append(.star)
            case "?":
                tokens.append(.anyScalar)
            case "[":
                if let (set, end) = Self.parseSet(pattern, from: index) {
                    tokens.append(.set(set))
                    index = end + 1
                } else {
                    tokens.append(.literal("["))
                }
            default:
                tokens.append(.literal(scalar))
            }
        }
    }

    /// The set whose body starts at `start` (just after `[`), and the index of its closing `]`;
    /// nil when the `[` is never closed.
    private static func parseSet(_ pattern: [Unicode.Scalar], from start: Int) -> (ScalarSet, Int)? {
        var end = start
        if end < pattern.count && pattern[end] == "!" { end += 1 }
        if end < pattern.count && pattern[end] == "]" { end += 1 }
        while end < pattern.count && pattern[end] != "]" { end += 1 }
        guard end < pattern.count else { return nil }

        let chunks = rangeChunks(pattern, start, end)
        var set = ScalarSet()
        for (position, chunk) in chunks.enumerated() {
            var body = chunk[...]
            if position == 0 && body.first == "!" {
                set.negated = true
                body = body.dropFirst()
            }
            set.members += body
            if position > 0 {
                set.ranges.append(chunks[position - 1].last!...chunk.first!)
            }
        }
        return (set, end)
    }

    /// The set body cut at the hyphens that make ranges: chunk `k - 1` ends with a range's lower
    /// bound and chunk `k` starts with its upper bound. Reversed ranges are removed, and the
    /// hyphens that are not range operators stay inside the chunks as members.
    private static func rangeChunks(_ pattern: [Unicode.Scalar], _ start: Int, _ end: Int) -> [[Unicode.Scalar]] {
        var chunks: [[Unicode.Scalar]] = []
        var chunkStart = start
        // The first member (after a `!`) cannot be an operator, and a range's upper bound
        // cannot start the next one: search from two scalars on.
        var search = pattern[start] == "!" ? start + 2 : start + 1
        while search < end, let hyphen = pattern[search..<end].firstIndex(of: "-") {
            chunks.append(Array(pattern[chunkStart..<hyphen]))
            chunkStart = hyphen + 1
            search = hyphen + 3
        }
        if chunkStart < end {
            chunks.append(Array(pattern[chunkStart..<end]))
        } else {
            // A trailing hyphen is a member.
            chunks[chunks.count - 1].append("-")
        }
        for position in stride(from: chunks.count - 1, to: 0, by: -1)
        where chunks[position - 1].last! > chunks[position].first! {
            chunks[position - 1] = chunks[position - 1].dropLast() + chunks[position].dropFirst()
            chunks.remove(at: position)
        }
        return chunks
    }

    /// Whether the whole of `name` matches.
    ///
    /// Every token but `*` consumes exactly one code point, so retrying from the most recent
    /// star alone finds a match whenever there is one, in time linear in practice.
    func matches(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        var token = 0
        var position = scalars.startIndex
        var retry: (token: Int, position: String.UnicodeScalarView.Index)?
        while position < scalars.endIndex {
            if token < tokens.count {
                switch tokens[token] {
                case .star:
                    token += 1
                    retry = (token, position)
                    continue
                case .anyScalar:
                    token += 1
                    position = scalars.index(after: position)
                    continue
                case .literal(let scalar) where scalar == scalars[position]:
                    token += 1
                    position = scalars.index(after: position)
                    continue
                case .set(let set) where set.contains(scalars[position]):
                    token += 1
                    position = scalars.index(after: position)
                    continue
                default:
                    break
                }
            }
            guard let star = retry else { return false }
            let next = scalars.index(after: star.position)
            retry = (star.token, next)
            token = star.token
            position = next
        }
        while token < tokens.count, case .star = tokens[token] {
            token += 1
        }
        return token == tokens.count
    }
}
