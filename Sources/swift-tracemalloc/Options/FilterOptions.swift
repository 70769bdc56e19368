import ArgumentParser
import TraceMalloc

/// The trace filters `top`, `compare` and `export` share, turned into the `Filter` and
/// `DomainFilter` values Python's `Snapshot.filter_traces` would be given.
///
/// A trace is kept when it passes any `--include` or `--include-domain` (or there is none) and
/// every `--exclude` and `--exclude-domain`.
struct FilterOptions: ParsableArguments {
    @Option(name: .customLong("include"), help: ArgumentHelp(
        "Keep only traces allocated in files matching this fnmatch pattern, optionally at line LINE (repeatable).",
        valueName: "pattern[:line]"))
    var includes: [FilePattern] = []

    @Option(name: .customLong("exclude"), help: ArgumentHelp(
        "Drop traces allocated in files matching this fnmatch pattern, optionally at line LINE (repeatable).",
        valueName: "pattern[:line]"))
    var excludes: [FilePattern] = []

    @Flag(help: "Match --include and --exclude against every frame of a traceback, not only the most recent one.")
    var allFrames = false

    @Option(name: .customLong("include-domain"), help: ArgumentHelp(
        "Keep only traces of this domain (0 is the malloc heap; repeatable).", valueName: "domain"))
    var includeDomains: [UInt32] = []

    @Option(name: .customLong("exclude-domain"), help: ArgumentHelp(
        "Drop traces of this domain (repeatable).", valueName: "domain"))
    var excludeDomains: [UInt32] = []

    /// The filters, in the order of the options above.
    var filters: [any TraceFilter] {
        let patterns = includes.map { (inclusive: true, pattern: $0) } + excludes.map { (inclusive: false, pattern: $0) }
        let fileFilters: [any TraceFilter] = patterns.map {
            Filter(inclusive: $0.inclusive, filenamePattern: $0.pattern.pattern, lineno: $0.pattern.lineno, allFrames: allFrames)
        }
        let domainFilters: [any TraceFilter] = includeDomains.map { DomainFilter(inclusive: true, domain: $0) }
            + excludeDomains.map { DomainFilter(inclusive: false, domain: $0) }
        return fileFilters + domainFilters
    }

    /// `snapshot` with only the traces the filters keep; `snapshot` itself when there are none.
    func apply(to snapshot: Snapshot) -> Snapshot {
        let filters = filters
        return filters.isEmpty ? snapshot : snapshot.filterTraces(filters)
    }
}

/// A `--include`/`--exclude` value: an fnmatch pattern, and a line when it ends in `:DIGITS`.
///
/// Only an all-digit suffix is taken as a line, so a pattern such as `*:x` stays whole.
struct FilePattern: ExpressibleByArgument {
    var pattern: String
    var lineno: Int?

    init?(argument: String) {
        if let colon = argument.lastIndex(of: ":"),
            case let digits = argument[argument.index(after: colon)...],
            !digits.isEmpty, digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let line = Int(digits)
        {
            pattern = String(argument[..<colon])
            lineno = line
        } else {
            pattern = argument
            lineno = nil
        }
    }
}
