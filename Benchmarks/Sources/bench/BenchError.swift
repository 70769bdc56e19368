/// Failures that stop the driver: the measurements cannot be made at all.
enum BenchError: Error, CustomStringConvertible {
    /// posix_spawn refused the program (command, reason).
    case spawnFailed(String, String)
    /// The untraced workloads binary, the baseline of every ratio, is missing.
    case noBaseline(String)

    var description: String {
        switch self {
        case .spawnFailed(let command, let reason): "cannot start \(command): \(reason)"
        case .noBaseline(let reason): "no baseline to compare with: \(reason)"
        }
    }
}
