import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// The `swift-tracemalloc` command: trace unmodified programs and read their snapshots.
@main
struct SwiftTraceMalloc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-tracemalloc",
        abstract: "Trace the memory allocations of a program and show where its memory goes.",
        discussion: """
            Trace a program, then list the lines that hold the most memory:

              swift-tracemalloc run --output app.tm -- ./app --its-flag
              swift-tracemalloc top app.tm

            Run 'swift-tracemalloc help <subcommand>' for the options of each subcommand.
            """,
        subcommands: [Run.self, Top.self, Compare.self, Export.self]
    )

    /// Parses and runs a subcommand, reporting every failure as one line on stderr.
    ///
    /// ArgumentParser's own `main()` prints the usage after an error and exits with 64; scripts
    /// calling this tool get one line to read and exit status 2 for any usage or file error.
    /// A subcommand that throws `ExitCode` (such as `run` passing on the program's status) has
    /// already said what it has to say.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            if exitCode(for: error) == .success {
                exit(withError: error)
            }
            printError(message(for: error))
            Glibc.exit(2)
        }
    }
}

/// Writes one line to standard error, prefixed with the tool's name.
///
/// Standard output carries only data (statistic lines, or the traced program's own output), so
/// notes, warnings and errors all go here. Multi-line messages are folded into one line.
func printError(_ message: String) {
    let line = "swift-tracemalloc: " + message.split(whereSeparator: \.isNewline).joined(separator: " ") + "\n"
    var bytes = Array(line.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}
