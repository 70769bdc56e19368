/// Frame of a traceback: a source file and line, plus the native extras Python has no need for.
///
/// Identity, order and hashing use `(filename, lineno)` only, as in Python, and compare file
/// names by code point: an NFC and an NFD spelling of the same name are different frames.
///
///     let frame = Frame(filename: "main.swift", lineno: 12, function: "main()")
///     print(frame)  // Prints "main.swift:12"
///
/// Python: `tracemalloc.Frame`
public struct Frame: Sendable {
    /// The source file (the DWARF path), or the image path when no line information exists.
    public var filename: String
    /// The line number, or 0 when unknown.
    public var lineno: Int
    /// The demangled function name, when known.
    public var function: String?
    /// The path of the loaded image (executable or shared library) holding the code, when known.
    public var image: String?

    /// Creates a frame.
    ///
    /// - Parameters:
    ///   - filename: The source file, or the image path when no line information exists.
    ///   - lineno: The line number, 0 when unknown.
    ///   - function: The demangled function name, when known.
    ///   - image: The path of the image holding the code, when known.
    ///
    /// Python: `Frame((filename, lineno))`
    public init(filename: String, lineno: Int, function: String? = nil, image: String? = nil) {
        self.filename = filename
        self.lineno = lineno
        self.function = function
        self.image = image
    }
}

extension Frame: Hashable {
    /// Whether two frames have the same file name (by code point) and line; `function` and
    /// `image` are ignored, as Python has neither.
    ///
    /// Python: `Frame.__eq__`
    public static func == (lhs: Frame, rhs: Frame) -> Bool {
        lhs.lineno == rhs.lineno && lhs.filename.hasSameCodePoints(as: rhs.filename)
    }

    /// Hashes the file name's code points and the line.
    ///
    /// Python: `Frame.__hash__`
    public func hash(into hasher: inout Hasher) {
        filename.hashCodePoints(into: &hasher)
        hasher.combine(lineno)
    }

    /// Whether the two frames agree on every field, `function` and `image` included: what a
    /// file round trip must preserve, where `==` looks only at what Python compares.
    func isIdentical(to other: Frame) -> Bool {
        self == other
            && function.hasSameCodePoints(as: other.function)
            && image.hasSameCodePoints(as: other.image)
    }
}

extension Optional<String> {
    fileprivate func hasSameCodePoints(as other: String?) -> Bool {
        switch (self, other) {
        case (nil, nil): true
        case let (lhs?, rhs?): lhs.hasSameCodePoints(as: rhs)
        default: false
        }
    }
}

extension Frame: Comparable {
    /// Orders by file name (by code point, so `"Z" < "a"`), then line.
    ///
    /// Python: `Frame.__lt__`
    public static func < (lhs: Frame, rhs: Frame) -> Bool {
        if lhs.filename.hasSameCodePoints(as: rhs.filename) {
            return lhs.lineno < rhs.lineno
        }
        return lhs.filename.precedesByCodePoint(rhs.filename)
    }
}

extension Frame: CustomStringConvertible, CustomDebugStringConvertible {
    /// `filename:lineno`, as Python's `str(frame)`.
    public var description: String {
        "\(filename):\(lineno)"
    }

    /// `<Frame filename='main.swift' lineno=12>`, as Python's `repr(frame)`.
    public var debugDescription: String {
        "<Frame filename=\(pythonRepr(filename)) lineno=\(lineno)>"
    }
}
