/// Frame of a traceback: a source file and line, plus the native extras Python has no need for.
///
/// Identity, order and hashing use `(filename, lineno)` only, as in Python.
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

    public init(filename: String, lineno: Int, function: String? = nil, image: String? = nil) {
        self.filename = filename
        self.lineno = lineno
        self.function = function
        self.image = image
    }
}
