import ArgumentParser
import TraceMalloc

/// `swift-tracemalloc export`: a snapshot in a format other tools read.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a snapshot as JSON, or as collapsed stacks for flame graphs.",
        discussion: """
            Formats:
              json       the JSON interchange format, which top, compare and
                         Snapshot.load(from:) read too
              collapsed  one 'frame;frame;... bytes' line per distinct stack,
                         oldest frame first, for flamegraph.pl, inferno and
                         speedscope
              pprof, html  planned, not yet supported
            A collapsed frame is its demangled function when known, else file:line;
            '%', ';' and line breaks in it are written %25, %3B and %0A. Stacks are
            as deep as the run's --nframe. The output is written to a temporary
            file renamed into place.

            Example:
              swift-tracemalloc run --nframe 64 --output app.tm -- ./app
              swift-tracemalloc export app.tm --format collapsed --output app.folded
              flamegraph.pl --countname bytes app.folded > app.svg
            """
    )

    /// The formats `--format` names, including those planned for a later release.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, collapsed, pprof, html
    }

    @Argument(help: ArgumentHelp("The snapshot to export.", valueName: "file"))
    var file: String

    @Option(help: "The output format.")
    var format: Format

    @Option(name: .shortAndLong, help: ArgumentHelp("The file to write.", valueName: "out"))
    var output: String

    func run() throws {
        let write: (Snapshot) throws -> Void
        switch format {
        case .json:
            write = { try $0.dump(to: output, format: .json) }
        case .collapsed:
            write = { try FileIO.writeAtomically(Array(CollapsedStacks($0).text.utf8), to: output) }
        case .pprof, .html:
            throw ValidationError("the \(format.rawValue) format is not yet supported; use json or collapsed")
        }
        try write(try SnapshotFiles.load([file]))
    }
}
