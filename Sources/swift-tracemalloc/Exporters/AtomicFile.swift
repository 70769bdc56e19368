#if canImport(Glibc)
import Glibc
#endif
import TraceMalloc

/// Writes a file so that readers see either the old content or the whole new one.
enum AtomicFile {
    /// Writes `text` to a temporary file beside `path`, flushes it to disk, and renames it to `path`.
    ///
    /// - Throws: `TraceMallocError.invalidFile` naming `path` and the system's reason.
    static func write(_ text: String, to path: String) throws {
        let temporary = "\(path).tmp.\(getpid())"
        func failure(_ code: Int32) -> TraceMallocError {
            .invalidFile(path: path, reason: String(cString: strerror(code)))
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(errno) }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let code = errno
                close(fd)
                unlink(temporary)
                throw failure(code)
            }
            bytes = bytes.dropFirst(written)
        }
        let synced = fsync(fd) == 0 ? 0 : errno
        let closed = close(fd) == 0 ? 0 : errno
        guard synced == 0, closed == 0 else {
            unlink(temporary)
            throw failure(synced != 0 ? synced : closed)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw failure(code)
        }
    }
}
