/// A snapshot's strings, frames and tracebacks, each numbered once, so that a file stores each once.
///
/// Entries are equal only when every field is: unlike `Frame ==` and `Traceback ==`, which follow
/// Python, a file must keep `function`, `image`, `totalNframe` and the exact spelling of names.
struct SnapshotTables {
    struct FrameEntry: Hashable {
        var filename: Int
        var lineno: Int
        var function: Int?
        var image: Int?
    }

    struct TracebackEntry: Hashable {
        /// Frame numbers, oldest first.
        var frames: [Int]
        var totalNframe: Int?
    }

    var strings = Interner<CodePointString>()
    var frames = Interner<FrameEntry>()
    var tracebacks = Interner<TracebackEntry>()

    mutating func number(of string: String) -> Int {
        strings.number(of: CodePointString(value: string))
    }

    mutating func number(of frame: Frame) -> Int {
        let entry = FrameEntry(
            filename: number(of: frame.filename),
            lineno: frame.lineno,
            function: frame.function.map { number(of: $0) },
            image: frame.image.map { number(of: $0) })
        return frames.number(of: entry)
    }

    mutating func number(of traceback: Traceback) -> Int {
        tracebacks.number(of: TracebackEntry(frames: traceback.frames.map { number(of: $0) },
                                             totalNframe: traceback.totalNframe))
    }

    /// The numbered tracebacks as values, in number order.
    func makeTracebacks() -> [Traceback] {
        let strings = strings.values.map(\.value)
        let frames = frames.values.map { entry in
            Frame(filename: strings[entry.filename], lineno: entry.lineno,
                  function: entry.function.map { strings[$0] }, image: entry.image.map { strings[$0] })
        }
        return tracebacks.values.map { entry in
            Traceback(frames: entry.frames.map { frames[$0] }, totalNframe: entry.totalNframe)
        }
    }
}
