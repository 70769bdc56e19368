/// JSON interchange, version 1, for other tools:
///
///     {"format": "swift-tracemalloc-snapshot", "version": 1, "traceback_limit": 25, "traces": [
///     {"domain": 0, "size": 64, "total_nframe": 3, "frames": [{"filename": "main.swift",
///      "lineno": 10, "function": "main", "image": "/usr/bin/app"}]}]}
///
/// `frames` are oldest first. `function` and `image` may be absent or null; `total_nframe` may be
/// null (written as null when nil) or absent. Keys may come in any order; unknown keys are ignored.
/// The writer puts one trace per line, and no spaces.
///
/// Foundation's `JSONEncoder`/`JSONDecoder` took 18.8 s / 15.2 s for a 1,000,000-trace document
/// (533 MB) on the project machine, and `JSONSerialization` 66 s and 22 GB of memory; they also
/// lose key order and say only "The given data was not valid JSON.". So this file writes the bytes
/// itself, writing each distinct traceback once and copying it per trace, and reads with
/// `JSONReader`, interning frames and tracebacks as it goes.
extension SnapshotFile {
    static let jsonFormatName = "swift-tracemalloc-snapshot"
    static let jsonVersion = 1

    /// Encodes `snapshot` as JSON.
    ///
    /// - Throws: `TraceMallocError.invalidFile` naming `path` when a trace has a negative size.
    static func encodeJSON(_ snapshot: Snapshot, path: String) throws -> [UInt8] {
        // Everything of a trace after its size, per traceback.
        let tails = snapshot.tracebacks.map { traceback in
            var tail = JSONWriter()
            tail.append(#""total_nframe":"#)
            if let totalNframe = traceback.totalNframe {
                tail.append(integer: totalNframe)
            } else {
                tail.append("null")
            }
            tail.append(#","frames":["#)
            for (index, frame) in traceback.frames.enumerated() {
                if index > 0 { tail.append(",") }
                tail.append(#"{"filename":"#)
                tail.append(string: frame.filename)
                tail.append(#","lineno":"#)
                tail.append(integer: frame.lineno)
                if let function = frame.function {
                    tail.append(#","function":"#)
                    tail.append(string: function)
                }
                if let image = frame.image {
                    tail.append(#","image":"#)
                    tail.append(string: image)
                }
                tail.append("}")
            }
            tail.append("]}")
            return tail.bytes
        }

        var json = JSONWriter()
        json.append(#"{"format":"#)
        json.append(string: jsonFormatName)
        json.append(#","version":"#)
        json.append(integer: jsonVersion)
        json.append(#","traceback_limit":"#)
        json.append(integer: snapshot.tracebackLimit)
        json.append(#","traces":["#)
        for (index, record) in snapshot.records.enumerated() {
            guard record.size >= 0 else {
                throw TraceMallocError.invalidFile(
                    path: path, reason: "cannot write trace \(index): negative size \(record.size)")
            }
            json.append(index == 0 ? "\n" : ",\n")
            json.append(#"{"domain":"#)
            json.append(integer: Int(record.domain))
            json.append(#","size":"#)
            json.append(integer: record.size)
            json.append(",")
            json.append(contentsOf: tails[record.traceback])
        }
        json.append("\n]}\n")
        return json.bytes
    }

    /// Decodes a JSON snapshot.
    ///
    /// - Throws: `TraceMallocError.invalidFile` naming `path`, the line and column, and the key
    ///   path to what is wrong.
    static func decodeJSON(_ bytes: UnsafeRawBufferPointer, path: String) throws -> Snapshot {
        var reader = JSONReader(bytes)
        var decoder = JSONSnapshotDecoder()
        do {
            try decoder.decodeDocument(&reader)
            if let reason = decoder.headerProblem() {
                throw TraceMallocError.invalidFile(path: path, reason: reason)
            }
            if let tracesOffset = decoder.tracesOffset {
                var tracesReader = JSONReader(bytes, offset: tracesOffset)
                try decoder.decodeTraces(&tracesReader)
            }
        } catch let failure as JSONReader.Failure {
            let (line, column) = reader.lineAndColumn(of: failure.offset)
            let keyPath = failure.path.hasPrefix(".") ? String(failure.path.dropFirst()) : failure.path
            let location = "line \(line), column \(column)" + (keyPath.isEmpty ? "" : " (\(keyPath))")
            let reason = failure.offset >= bytes.count
                ? "truncated file: the JSON ends at \(location)"
                : "invalid JSON at \(location): \(failure.reason)"
            throw TraceMallocError.invalidFile(path: path, reason: reason)
        }
        return decoder.snapshot
    }
}

/// The state of reading one JSON snapshot.
private struct JSONSnapshotDecoder {
    typealias Failure = JSONReader.Failure

    var format: String?
    var version: Int?
    var tracebackLimit: Int?
    /// Where `traces` starts, when it came before `format` and `version` were known to be ours.
    var tracesOffset: Int?
    var sawTraces = false
    var tables = SnapshotTables()
    var records: [Snapshot.Record] = []

    var snapshot: Snapshot {
        Snapshot(tracebacks: tables.makeTracebacks(), records: records, tracebackLimit: tracebackLimit ?? 0)
    }

    /// Reads the top-level object, and the traces too if `format` and `version` come before them
    /// (as this library writes them), so a new version's traces are never misread as version 1.
    mutating func decodeDocument(_ reader: inout JSONReader) throws(Failure) {
        try reader.readObject { (reader, key) throws(Failure) in
            switch key {
            case "format": format = try reader.readString()
            case "version": version = try reader.readInteger()
            case "traceback_limit": tracebackLimit = try reader.readInteger()
            case "traces":
                sawTraces = true
                tracesOffset = nil
                if formatProblem() == nil {
                    records = []
                    try decodeTraces(&reader)
                } else {
                    tracesOffset = reader.offset
                    try reader.skipValue()
                }
            default: try reader.skipValue()
            }
        }
        try reader.expectEnd()
    }

    /// What is wrong with the top-level keys, if anything.
    func headerProblem() -> String? {
        if let problem = formatProblem() { return problem }
        guard tracebackLimit != nil else { return "no \"traceback_limit\" key" }
        guard sawTraces else { return "no \"traces\" key" }
        return nil
    }

    /// What is wrong with `format` and `version`, if anything: whether the traces can be read.
    private func formatProblem() -> String? {
        guard let format else { return "not a swift-tracemalloc snapshot (JSON without a \"format\" key)" }
        guard format == SnapshotFile.jsonFormatName else {
            return "not a swift-tracemalloc snapshot (JSON of format \"\(format)\")"
        }
        guard let version else { return "no \"version\" key" }
        guard version <= SnapshotFile.jsonVersion else {
            return "format version \(version) is newer than this reader (\(SnapshotFile.jsonVersion))"
        }
        guard version == SnapshotFile.jsonVersion else { return "unknown format version \(version)" }
        return nil
    }

    mutating func decodeTraces(_ reader: inout JSONReader) throws(Failure) {
        try reader.readArray { (reader, _) throws(Failure) in
            try decodeTrace(&reader)
        }
    }

    private mutating func decodeTrace(_ reader: inout JSONReader) throws(Failure) {
        reader.skipWhitespace()
        let start = reader.offset
        var domain: UInt32?
        var size: Int?
        var totalNframe: Int?
        var frames: [Int]?
        try reader.readObject { (reader, key) throws(Failure) in
            switch key {
            case "domain":
                domain = UInt32(try reader.readInteger(where: { UInt32(exactly: $0) != nil },
                                                       otherwise: { "domain \($0) is outside 0...\(UInt32.max)" }))
            case "size":
                size = try reader.readInteger(where: { $0 >= 0 }, otherwise: { "negative size \($0)" })
            case "total_nframe":
                totalNframe = reader.readNull() ? nil : try reader.readInteger()
            case "frames":
                var numbers: [Int] = []
                try reader.readArray { (reader, _) throws(Failure) in
                    numbers.append(try decodeFrame(&reader))
                }
                frames = numbers
            default:
                try reader.skipValue()
            }
        }
        guard let domain, let size, let frames else {
            let missing = domain == nil ? "domain" : size == nil ? "size" : "frames"
            throw reader.failure("a trace without \"\(missing)\"", at: start)
        }
        let traceback = tables.tracebacks.number(of: .init(frames: frames, totalNframe: totalNframe))
        records.append(Snapshot.Record(domain: domain, size: size, traceback: traceback))
    }

    /// Reads a frame and returns its number in `tables`.
    private mutating func decodeFrame(_ reader: inout JSONReader) throws(Failure) -> Int {
        reader.skipWhitespace()
        let start = reader.offset
        var filename: Int?
        var lineno: Int?
        var function: Int?
        var image: Int?
        try reader.readObject { (reader, key) throws(Failure) in
            switch key {
            case "filename": filename = tables.number(of: try reader.readString())
            case "lineno": lineno = try reader.readInteger()
            case "function": function = reader.readNull() ? nil : tables.number(of: try reader.readString())
            case "image": image = reader.readNull() ? nil : tables.number(of: try reader.readString())
            default: try reader.skipValue()
            }
        }
        guard let filename, let lineno else {
            throw reader.failure("a frame without \"\(filename == nil ? "filename" : "lineno")\"", at: start)
        }
        return tables.frames.number(of: .init(filename: filename, lineno: lineno, function: function, image: image))
    }
}
