import Foundation

/// The files one `run --output FILE` produces.
///
/// FILE holds what was live when the program ended, FILE.1, FILE.2, … the `--interval`
/// snapshots, FILE.peak the high-water mark, and FILE.PID, FILE.PID.N, FILE.PID.peak the same
/// for each child process. The tracer writes each of them first as NAME.raw, which `run`
/// converts to NAME.
struct OutputFiles {
    /// A file of the family: FILE followed by `suffix`, possibly still raw.
    struct Member: Hashable {
        /// The dot-separated parts after FILE: `[]`, `["3"]`, `["peak"]`, `["4242", "2"]`, …
        var suffix: [String]
        /// Whether this is the tracer's raw file rather than a converted snapshot.
        var isRaw: Bool
    }

    /// FILE, as the user wrote it.
    let path: String
    /// FILE's last path component, which every member's name starts with. Worked out once:
    /// `URL(fileURLWithPath:)` asks the file system whether FILE is a directory, and a member
    /// test runs for every entry of the directory.
    private let baseName: String

    init(path: String) {
        self.path = path
        self.baseName = URL(fileURLWithPath: path).lastPathComponent
    }

    /// The directory holding the family.
    var directory: String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().path
    }

    /// The path of `member`, spelled like `path`.
    func path(of member: Member) -> String {
        path + member.suffix.map { "." + $0 }.joined() + (member.isRaw ? ".raw" : "")
    }

    /// The members that exist now, in no particular order.
    func existingMembers() -> [Member] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap(member(named:))
    }

    /// The member a directory entry is, or nil when the name is not one `run` writes.
    func member(named name: String) -> Member? {
        guard name.hasPrefix(baseName) else { return nil }
        var rest = Substring(name.dropFirst(baseName.count))
        let isRaw = rest.hasSuffix(".raw")
        if isRaw { rest = rest.dropLast(4) }
        guard rest.isEmpty || rest.hasPrefix(".") else { return nil }
        let suffix = rest.split(separator: ".", omittingEmptySubsequences: false).dropFirst().map(String.init)
        guard suffix.count <= 2, suffix.allSatisfy(Self.isSuffixPart) else { return nil }
        return Member(suffix: suffix, isRaw: isRaw)
    }

    private static func isSuffixPart(_ part: String) -> Bool {
        part == "peak" || (!part.isEmpty && part.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
    }
}
