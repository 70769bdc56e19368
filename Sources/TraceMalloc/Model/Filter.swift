/// Filters traces by the file name (an `fnmatch` pattern) and line of their frames.
///
///     let mine = try snapshot.filterTraces([
///         Filter(inclusive: true, filenamePattern: "*/Sources/App/*"),
///         Filter(inclusive: false, filenamePattern: "*/Tests/*", allFrames: true),
///     ])
///
/// File names and the pattern are normalised as Python does on POSIX: a trailing `.pyc`
/// becomes `.py` (kept so that results match Python's exactly).
///
/// Python: `tracemalloc.Filter`
public struct Filter: TraceFilter {
    /// Whether matching traces are kept (true) or dropped (false).
    public var inclusive: Bool
    /// The normalised pattern, matched against whole file names as `fnmatch` does.
    public let filenamePattern: String
    /// The line to match, or nil for any line.
    public var lineno: Int?
    /// Whether any frame may match (true) or only the most recent one (false).
    public var allFrames: Bool
    /// The domain the filter applies to, or nil for every domain.
    public var domain: UInt32?

    private let pattern: FNMatchPattern

    /// Creates a filter.
    ///
    /// - Parameters:
    ///   - inclusive: Whether to keep (true) or drop (false) the traces that match.
    ///   - filenamePattern: An `fnmatch` pattern: `*`, `?`, `[set]`, `[!set]`.
    ///   - lineno: The line to match, or nil for any.
    ///   - allFrames: Whether to test every frame rather than only the most recent one.
    ///   - domain: The domain to restrict the filter to, or nil for all.
    ///
    /// Python: `Filter(inclusive, filename_pattern, lineno=None, all_frames=False, domain=None)`
    public init(
        inclusive: Bool, filenamePattern: String, lineno: Int? = nil,
        allFrames: Bool = false, domain: UInt32? = nil
    ) {
        self.inclusive = inclusive
        self.filenamePattern = Self.normalize(filenamePattern)
        self.lineno = lineno
        self.allFrames = allFrames
        self.domain = domain
        self.pattern = FNMatchPattern(self.filenamePattern)
    }

    /// Whether `trace` passes: its frames match (or, for an exclusive filter, do not), and the
    /// domain condition holds.
    ///
    /// Python: `Filter._match`
    public func passes(_ trace: Trace) -> Bool {
        passes(domain: trace.domain, framesPass: framesPass(trace.traceback))
    }

    /// Whether the frames pass, before the domain is considered: the most recent frame's match
    /// XOR exclusive, or with `allFrames`, `inclusive` if any frame matches.
    ///
    /// Python: `Filter._match_traceback`
    func framesPass(_ traceback: Traceback) -> Bool {
        if allFrames {
            return traceback.contains(where: matches) == inclusive
        }
        // An empty traceback (only files make them) has no frame to match.
        let matched = traceback.last.map(matches) ?? false
        return matched == inclusive
    }

    /// Combines `framesPass(_:)` with the domain: an inclusive filter needs the domain too, an
    /// exclusive one passes traces of other domains.
    func passes(domain: UInt32, framesPass: Bool) -> Bool {
        guard let filterDomain = self.domain else { return framesPass }
        return inclusive ? framesPass && domain == filterDomain : framesPass || domain != filterDomain
    }

    /// Python: `Filter._match_frame_impl`
    private func matches(_ frame: Frame) -> Bool {
        pattern.matches(Self.normalize(frame.filename)) && (lineno == nil || lineno == frame.lineno)
    }

    /// Python's `_normalize_filename` on POSIX, where `normcase` changes nothing.
    private static func normalize(_ filename: String) -> String {
        // By bytes: `hasSuffix` compares characters, and a prepended mark can absorb the dot.
        filename.utf8.suffix(4).elementsEqual(".pyc".utf8)
            ? String(Substring(filename.unicodeScalars.dropLast()))
            : filename
    }
}

extension Filter: Hashable {
    /// Whether the filters agree on every public property (patterns compared by code point).
    public static func == (lhs: Filter, rhs: Filter) -> Bool {
        lhs.inclusive == rhs.inclusive && lhs.filenamePattern.hasSameCodePoints(as: rhs.filenamePattern)
            && lhs.lineno == rhs.lineno && lhs.allFrames == rhs.allFrames && lhs.domain == rhs.domain
    }

    /// Hashes what `==` compares.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(inclusive)
        filenamePattern.hashCodePoints(into: &hasher)
        hasher.combine(lineno)
        hasher.combine(allFrames)
        hasher.combine(domain)
    }
}
