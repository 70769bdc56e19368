/// Source lines of files, read as Python's `linecache.getline(filename, lineno).strip()` reads
/// them, and kept so that a file is read once however many frames point into it.
///
/// Like `linecache`: names such as `<unknown>` and unreadable files give no lines; the file is
/// decoded as UTF-8 after an optional byte order mark, and a file that is not valid UTF-8 gives
/// no lines at all; `\n`, `\r\n` and `\r` all end a line; lines are stripped of Python's
/// whitespace. Unlike it, a relative name is looked up in the working directory only (Python
/// also searches `sys.path`), PEP 263 coding cookies are not honoured, and anything but a
/// regular file gives no lines (Python would wait on a FIFO, or read `/dev/zero` forever).
struct SourceLines {
    private var files: [CodePointString: [Substring.UnicodeScalarView]] = [:]

    /// The stripped line `lineno` (1-based) of `filename`, or "" when there is none.
    mutating func line(_ lineno: Int, of filename: String) -> String {
        let key = CodePointString(value: filename)
        let lines = files[key] ?? Self.lines(of: filename)
        files[key] = lines
        guard lineno >= 1 && lineno <= lines.count else { return "" }
        return String(Substring(Self.strip(lines[lineno - 1])))
    }

    private static func lines(of filename: String) -> [Substring.UnicodeScalarView] {
        if filename.isEmpty || (filename.hasPrefix("<") && filename.hasSuffix(">")) {
            return []
        }
        guard var bytes = try? FileIO.readAll(path: filename) else { return [] }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            bytes.removeFirst(3)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return [] }
        return splitLines(text.unicodeScalars[...])
    }

    /// Splits at universal newlines, as Python's text mode reads with `newline=None`.
    private static func splitLines(_ text: Substring.UnicodeScalarView) -> [Substring.UnicodeScalarView] {
        var lines: [Substring.UnicodeScalarView] = []
        var start = text.startIndex
        var index = start
        while index < text.endIndex {
            let scalar = text[index]
            if scalar == "\n" || scalar == "\r" {
                lines.append(text[start..<index])
                index = text.index(after: index)
                if scalar == "\r" && index < text.endIndex && text[index] == "\n" {
                    index = text.index(after: index)
                }
                start = index
            } else {
                index = text.index(after: index)
            }
        }
        if start < text.endIndex {
            lines.append(text[start...])
        }
        return lines
    }

    /// Python's `str.strip()`: its whitespace is Unicode White_Space plus U+001C…U+001F.
    private static func strip(_ line: Substring.UnicodeScalarView) -> Substring.UnicodeScalarView {
        let isSpace = { (scalar: Unicode.Scalar) in
            scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
        }
        guard let first = line.firstIndex(where: { !isSpace($0) }),
              let last = line.lastIndex(where: { !isSpace($0) })
        else { return line[line.endIndex...] }
        return line[first...last]
    }
}
