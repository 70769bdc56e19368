#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole files, read and written the one way the package does: a read that cannot hang on a FIFO
/// or device, and a write that never leaves half a file under the real name.
package enum FileIO {
    /// Reads a whole regular file.
    ///
    /// - Parameter path: The file to read.
    /// - Returns: Its bytes.
    /// - Throws: `TraceMallocError.invalidFile` naming `path` when it cannot be opened or read, or
    ///   is not a regular file (a FIFO would block, `/dev/zero` never ends).
    package static func readAll(path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw systemError(path, "cannot open") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw systemError(path, "cannot stat") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw TraceMallocError.invalidFile(path: path, reason: "not a regular file")
        }
        let size = Int(status.st_size)
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            while count < size {
                let result = read(fd, buffer.baseAddress! + count, size - count)
                if result > 0 {
                    count += result
                } else if result == 0 {
                    return  // The file shrank while being read; decoding will say it is truncated.
                } else if errno != EINTR {
                    failure = errno
                    return
                }
            }
        }
        guard failure == 0 else { throw systemError(path, "cannot read", errno: failure) }
        return bytes
    }

    /// Replaces the file at `path` with `bytes`, atomically.
    ///
    /// The bytes go to a new hidden file in the same directory, which is flushed to disk and then
    /// renamed over `path` (and the directory flushed): a crash or a full disk at any point leaves
    /// either the old file or the complete new one, never a partial file under the real name.
    ///
    /// - Parameters:
    ///   - bytes: The new content.
    ///   - path: The file to create or replace.
    /// - Throws: `TraceMallocError.invalidFile` naming `path` and the system's reason, or what
    ///   stands there when it is not a regular file (a directory is never replaced).
    package static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !name.isEmpty else {
            throw TraceMallocError.invalidFile(path: path, reason: "cannot write: the path has no file name")
        }
        if let kind = nonRegularFile(at: path) {
            throw TraceMallocError.invalidFile(
                path: path, reason: "is \(kind); only a regular file is replaced, so nothing was written")
        }

        var temporary = ""
        var fd: Int32 = -1
        for _ in 0..<100 where fd < 0 {
            temporary = "\(directory).\(name).tmp-\(getpid())-\(UInt32.random(in: .min ... .max))"
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd < 0 && errno != EEXIST { break }
        }
        guard fd >= 0 else { throw systemError(path, "cannot create a temporary file") }

        var failure: TraceMallocError?
        bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let result = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if result >= 0 {
                    written += result
                } else if errno != EINTR {
                    failure = systemError(path, "cannot write")
                    return
                }
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = systemError(path, "cannot flush") }
        if close(fd) != 0 && failure == nil { failure = systemError(path, "cannot write") }
        if failure == nil && rename(temporary, path) != 0 { failure = systemError(path, "cannot rename into place") }
        if let failure {
            unlink(temporary)
            throw failure
        }
        // The rename is durable only once the directory entry is on disk.
        let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }

    /// What stands at `path` when it is not a regular file ("a directory", "a symbolic link"…);
    /// nil when a regular file or nothing does. Only a regular file is ever replaced: anything
    /// else at an output path is the user's.
    package static func nonRegularFile(at path: String) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFLNK: return "a symbolic link"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR, S_IFBLK: return "a device"
        default: return "not a regular file"
        }
    }

    private static func systemError(_ path: String, _ action: String, errno code: Int32 = errno) -> TraceMallocError {
        .invalidFile(path: path, reason: "\(action): \(String(cString: strerror(code)))")
    }
}
