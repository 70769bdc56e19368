import Foundation

/// The command line both workload executables share: `NAME [SIZE]` runs one workload.
///
/// It prints `NAME size=SIZE checksum=N seconds=S` on stdout, where seconds times the work
/// alone (no process start or exit), and exits 0; a usage line on stderr and exit status 2 when
/// the arguments name no workload.
public enum WorkloadCommand {
    /// Runs the workload the arguments name, or prints the usage.
    ///
    /// - Parameter arguments: the arguments after the program name.
    /// - Returns: the process exit status.
    public static func run(_ arguments: [String]) -> Int32 {
        guard let name = arguments.first, let workload = Workload.named(name),
            arguments.count <= 2
        else {
            printUsage()
            return 2
        }
        let size = arguments.count == 2 ? Int(arguments[1]) : workload.defaultSize
        guard let size, size > 0 else {
            printUsage()
            return 2
        }
        let (checksum, seconds) = measureSeconds { workload.run(size) }
        print("\(name) size=\(size) checksum=\(checksum) seconds=\(seconds)")
        return 0
    }

    /// Prints one line per workload on stderr.
    public static func printUsage() {
        var usage = "usage: WORKLOAD [SIZE]\n"
        for workload in Workload.all {
            usage += "  \(workload.name) (default SIZE \(workload.defaultSize)): \(workload.summary)\n"
        }
        FileHandle.standardError.write(Data(usage.utf8))
    }
}
