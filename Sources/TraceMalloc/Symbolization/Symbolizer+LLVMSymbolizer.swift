import Glibc

extension Symbolizer {
    /// The toolchain's `llvm-symbolizer`, run as a child process that is sent addresses and
    /// answers with function, file and line for each, with inlined calls.
    ///
    /// The `Runtime` module reads DWARF too, but runs every line-number program of the image for
    /// each address it looks up: about 3 ms an address in this package's 2.5 MB debug test
    /// binary, where llvm-symbolizer indexes the image once and then answers in microseconds.
    final class LLVMSymbolizer {
        /// One frame as llvm-symbolizer prints it.
        struct SourceFrame: Equatable {
            /// The function's linkage (mangled) name, if the symbol or debug tables have it.
            var rawName: String?
            /// The source file, if the debug information or symbol table names one.
            var file: String?
            /// The line, or 0.
            var line: Int
        }

        /// Why llvm-symbolizer stopped being usable.
        struct Failure: Error {
            var reason: String
        }

        /// The executable.
        let path: String
        private var process: Process?

        private struct Process {
            var pid: pid_t
            /// Our end of the socket that is the child's stdin and stdout. A socket rather than
            /// pipes, so that writing after the child died fails with EPIPE (`MSG_NOSIGNAL`)
            /// instead of raising SIGPIPE in the traced program.
            var socket: Int32
            /// The process that started the child: after a fork, the child process must start
            /// its own, or the two would read each other's answers.
            var owner: pid_t
        }

        /// How long llvm-symbolizer may stay silent; its first answer for an image includes
        /// indexing the image.
        private static let timeoutMilliseconds: Int32 = 30_000

        /// - Parameter path: The llvm-symbolizer executable; started on first use.
        init(path: String) {
            self.path = path
        }

        deinit {
            stop()
        }

        /// The llvm-symbolizer of the toolchain whose Swift runtime this process loaded, or else
        /// the first one on `PATH`; nil if there is none.
        static let defaultPath: String? = {
            // <toolchain>/usr/lib/swift/linux/libswiftCore.so, <toolchain>/usr/bin/llvm-symbolizer
            let runtimeLibrary = "/lib/swift/linux/libswiftCore.so"
            let toolchain = Image.loadedInCurrentProcess()
                .first { $0.path.hasSuffix(runtimeLibrary) }
                .map { String($0.path.dropLast(runtimeLibrary.count)) + "/bin" }
            let searchPath =
                getenv("PATH").map { String(cString: $0).split(separator: ":").map(String.init) }
                ?? []
            return ([toolchain].compactMap { $0 } + searchPath)
                .map { $0 + "/llvm-symbolizer" }
                .first { access($0, X_OK) == 0 }
        }()

        /// The frames at each address, innermost inlined call first.
        ///
        /// - Parameter requests: ELF files, each with an address in the file's virtual address
        ///   space (not a run-time one).
        /// - Returns: At least one frame per request; nil for a file whose path cannot be
        ///   named to llvm-symbolizer.
        /// - Throws: `Failure` when llvm-symbolizer cannot be started or stops answering.
        func frames(
            of requests: [(file: String, address: UInt)]
        ) throws(Failure) -> [[SourceFrame]?] {
            if let inherited = process, inherited.owner != getpid() {
                close(inherited.socket)  // a forked child's copy: the parent's child is not ours
                process = nil
            }
            if process == nil {
                try start()
            }
            // Requests are lines of `"file" 0xaddress`; a file is quoted once per call, as many
            // addresses share it.
            var quotedFiles: [String: [UInt8]?] = [:]
            var lines: [(index: Int, line: [UInt8])] = []
            for (index, request) in requests.enumerated() {
                if quotedFiles[request.file] == nil {
                    let file = Array(request.file.utf8)
                    // The quotes end the path and the newline the request: neither may be in it.
                    quotedFiles[request.file] =
                        file.contains { $0 == 0x22 || $0 == 0x0a }
                        ? .some(nil) : [0x22] + file + Array("\" 0x".utf8)
                }
                if let quoted = quotedFiles[request.file]! {
                    lines.append(
                        (index, quoted + Array(String(request.address, radix: 16).utf8) + [0x0a]))
                }
            }
            var answers = [[SourceFrame]?](repeating: nil, count: requests.count)
            do throws(Failure) {
                var batchStart = 0
                while batchStart < lines.count {
                    // The requests of a batch fit in the socket's buffer, so sending them never
                    // waits for llvm-symbolizer, which may itself be waiting for its answers to
                    // be read.
                    var batchEnd = batchStart + 1
                    var bytes = lines[batchStart].line.count
                    while batchEnd < lines.count,
                        bytes + lines[batchEnd].line.count <= Self.batchBytes
                    {
                        bytes += lines[batchEnd].line.count
                        batchEnd += 1
                    }
                    let batch = lines[batchStart..<batchEnd]
                    try send(batch.flatMap(\.line))
                    for ((index, _), answer) in zip(batch, try receiveAnswers(batch.count)) {
                        answers[index] = Self.parse(answer)
                    }
                    batchStart = batchEnd
                }
            } catch {
                stop()
                throw error
            }
            return answers
        }

        /// Well under the smallest buffer of a Unix stream socket on Linux (about 200 kB).
        private static let batchBytes = 16 << 10

        private func start() throws(Failure) {
            var ends: [Int32] = [-1, -1]
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            guard socketpair(AF_UNIX, type, 0, &ends) == 0 else {
                throw Failure(
                    reason: "cannot create a socket (\(String(cString: strerror(errno))))")
            }
            defer { close(ends[1]) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, ends[1], 0)
            posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            let arguments = [path, "--functions=linkage", "--inlining", "--output-style=LLVM"]
            let argv = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            // An empty environment: no LD_PRELOAD'ed tracer or SWIFTTRACEMALLOC in the child,
            // and no DEBUGINFOD_URLS to make it download debug files mid-snapshot.
            let environment: [UnsafeMutablePointer<CChar>?] = [nil]
            var pid = pid_t()
            let status = posix_spawn(&pid, path, &actions, nil, argv, environment)
            guard status == 0 else {
                close(ends[0])
                throw Failure(reason: "cannot run \(path) (\(String(cString: strerror(status))))")
            }
            process = Process(pid: pid, socket: ends[0], owner: getpid())
        }

        private func stop() {
            guard let process, process.owner == getpid() else {
                return
            }
            close(process.socket)
            kill(process.pid, SIGKILL)
            waitpid(process.pid, nil, 0)
            self.process = nil
        }

        private func send(_ requests: [UInt8]) throws(Failure) {
            guard let socket = process?.socket else {
                throw Failure(reason: "\(path) is not running")
            }
            var bytes = requests[...]
            while !bytes.isEmpty {
                let sent = bytes.withUnsafeBytes {
                    Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if sent < 0 && errno == EINTR {
                    continue
                }
                guard sent > 0 else {
                    throw Failure(
                        reason: "\(path) stopped reading (\(String(cString: strerror(errno))))")
                }
                bytes = bytes.dropFirst(sent)
            }
        }

        /// Reads `count` answers, each up to the empty line that ends it (no line of an answer
        /// is empty).
        private func receiveAnswers(_ count: Int) throws(Failure) -> [ArraySlice<UInt8>] {
            guard let socket = process?.socket else {
                throw Failure(reason: "\(path) is not running")
            }
            var chunk = [UInt8](repeating: 0, count: 1 << 14)
            var received: [UInt8] = []
            var answers: [ArraySlice<UInt8>] = []
            var answerStart = 0
            var scanned = 0
            while true {
                while scanned + 1 < received.count {
                    if received[scanned] == 0x0a && received[scanned + 1] == 0x0a {
                        answers.append(received[answerStart...scanned])
                        answerStart = scanned + 2
                        scanned = answerStart
                    } else {
                        scanned += 1
                    }
                }
                if answers.count == count {
                    return answers
                }
                var ready = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
                let polled = poll(&ready, 1, Self.timeoutMilliseconds)
                if polled < 0 && errno == EINTR {
                    continue
                }
                guard polled > 0 else {
                    throw Failure(
                        reason: "\(path) did not answer within \(Self.timeoutMilliseconds / 1000) s"
                    )
                }
                let length = chunk.withUnsafeMutableBytes {
                    recv(socket, $0.baseAddress, $0.count, 0)
                }
                if length < 0 && errno == EINTR {
                    continue
                }
                guard length > 0 else {
                    throw Failure(reason: "\(path) stopped answering")
                }
                received += chunk[..<length]
            }
        }

        /// Pairs of lines: the function (`??` when unknown), then `file:line:column` (`??:0:0`).
        ///
        /// A bare file name with line 0 comes from the symbol table's `STT_FILE` entries (such
        /// as `Swift.o`), not from debug information: the address has no line information.
        /// An answer without a frame reads as one unknown frame.
        static func parse(_ answer: ArraySlice<UInt8>) -> [SourceFrame] {
            // Raw bytes and indices rather than Strings and Characters: this runs for every
            // address of a snapshot, in debug builds too.
            answer.withUnsafeBufferPointer { bytes in
                var lines: [Range<Int>] = []
                var lineStart = 0
                for index in 0..<bytes.count where bytes[index] == 0x0a {
                    lines.append(lineStart..<index)
                    lineStart = index + 1
                }
                func string(_ range: Range<Int>) -> String {
                    String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                }
                guard lines.count >= 2 else {
                    return [SourceFrame(rawName: nil, file: nil, line: 0)]
                }
                return stride(from: 0, to: lines.count - 1, by: 2).map { index in
                    let function = string(lines[index])
                    let rawName = function == "??" ? nil : function
                    // The file may hold colons; the line and the column are the last two fields.
                    let location = lines[index + 1]
                    guard let columnColon = location.last(where: { bytes[$0] == 0x3a }),
                        let lineColon = location[..<columnColon].last(where: { bytes[$0] == 0x3a })
                    else {
                        return SourceFrame(rawName: rawName, file: nil, line: 0)
                    }
                    let file = string(location.lowerBound..<lineColon)
                    let line = Int(string(lineColon + 1..<columnColon)) ?? 0
                    let hasSource =
                        file != "??" && !file.isEmpty && (line > 0 || file.utf8.contains(0x2f))
                    return SourceFrame(
                        rawName: rawName, file: hasSource ? file : nil, line: hasSource ? line : 0)
                }
            }
        }
    }
}
