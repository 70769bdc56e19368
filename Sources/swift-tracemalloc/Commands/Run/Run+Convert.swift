import Foundation
import TraceMalloc

extension Run {
    /// A snapshot `run` wrote, and the process it describes.
    struct Written {
        var member: OutputFiles.Member
        var pid: Int
    }

    /// Converts every raw file the tracer wrote into a snapshot beside it, then removes the raw
    /// file.
    ///
    /// A raw file that cannot be read is reported and kept, and the others are still converted:
    /// a program that crashed leaves only whole files (the tracer renames each into place), but
    /// a disk that filled up may not.
    ///
    /// - Returns: The snapshots written, in name order.
    func convertRawFiles(_ files: OutputFiles) -> [Written] {
        var converter = RawSnapshotConverter()
        var written: [Written] = []
        var slowCaptures: [Int: [Int]] = [:] /* per process: the counts only grow, so the largest */
        for member in files.existingMembers().filter(\.isRaw).sorted(by: OutputFiles.Member.nameOrder) {
            let rawPath = files.path(of: member)
            var target = member
            target.isRaw = false
            do {
                let raw = try RawSnapshot(contentsOf: rawPath)
                try converter.snapshot(of: raw).dump(to: files.path(of: target))
                try FileManager.default.removeItem(atPath: rawPath)
                written.append(Written(member: target, pid: raw.pid))
                if raw.slowCaptures.reduce(0, +) > (slowCaptures[raw.pid] ?? []).reduce(0, +) {
                    slowCaptures[raw.pid] = raw.slowCaptures
                }
            } catch {
                printError("\(error)")
            }
        }
        for warning in converter.warnings {
            printError("warning: \(warning)")
        }
        for (pid, counts) in slowCaptures.sorted(by: { $0.key < $1.key }) {
            let reasons = zip(RawSnapshot.slowCaptureReasons, counts).filter { $0.1 > 0 }.map { "\($0.0): \($0.1)" }
            printError(
                "note: process \(pid): \(counts.reduce(0, +)) stack captures used libgcc's slower unwinder "
                    + "(\(reasons.joined(separator: ", ")))")
        }
        return written
    }

    /// The most recent snapshot of process `pid`: its highest interval, else its peak.
    static func lastSnapshot(of pid: Int32, in written: [Written]) -> OutputFiles.Member? {
        let own = written.filter { $0.pid == Int(pid) }.map(\.member)
        let intervals = own.compactMap { member in
            member.suffix.count == 1 ? Int(member.suffix[0]).map { (number: $0, member: member) } : nil
        }
        return intervals.max { $0.number < $1.number }?.member ?? own.first { $0.suffix == ["peak"] }
    }

    /// The note listing the snapshots written, shortened when there are many.
    static func summary(of paths: [String]) -> String {
        paths.count <= 4
            ? "wrote " + paths.joined(separator: ", ")
            : "wrote \(paths.count) snapshots: " + paths.prefix(3).joined(separator: ", ") + ", …, " + paths[paths.count - 1]
    }
}

extension OutputFiles.Member {
    /// FILE first, then numbered parts in numeric order, `peak` after the numbers.
    static func nameOrder(_ a: Self, _ b: Self) -> Bool {
        for (x, y) in zip(a.suffix, b.suffix) where x != y {
            switch (Int(x), Int(y)) {
            case let (m?, n?): return m < n
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return x < y
            }
        }
        return a.suffix.count < b.suffix.count
    }
}
