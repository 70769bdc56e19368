import ArgumentParser
import TraceMalloc

/// `swift-tracemalloc top`: the biggest allocation sites of a snapshot.
struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the lines of code (or files, or tracebacks) holding the most memory.",
        discussion: """
            Each line is exactly Python's str(Statistic) for snapshot.statistics(key_type), \
            biggest first. Several files are merged, as the traces of one process.

            Example:
              swift-tracemalloc top app.tm --limit 3
            prints
              /src/App/Cache.swift:41: size=97.7 KiB, count=1000, average=100 B
              /src/App/Parser.swift:88: size=48.8 KiB, count=10, average=5000 B
              /src/App/main.swift:12: size=1024 B, count=1, average=1024 B
            and the same for the traces with any frame in Cache.swift:
              swift-tracemalloc top app.tm --include '*/Cache.swift' --all-frames
            """
    )

    @Argument(help: ArgumentHelp("Snapshot files written by 'run', Snapshot.dump(to:) or as JSON.", valueName: "file"))
    var files: [String]

    @OptionGroup var statistics: StatisticOptions
    @OptionGroup var filters: FilterOptions

    func run() throws {
        let snapshot = filters.apply(to: try SnapshotFiles.load(files))
        let lines = try snapshot.statistics(statistics.keyType, cumulative: statistics.cumulative)
        for line in statistics.limited(lines) {
            print(line)
        }
    }
}
