import TraceMalloc
import Workloads

/// Prints the seconds `Snapshot.load(from:)` takes on the dump at `path`.
func measureLoad(path: String) throws {
    let (snapshot, seconds) = try measureSeconds { try Snapshot.load(from: path) }
    print("traces=\(snapshot.traces.count) load-seconds=\(seconds)")
}
