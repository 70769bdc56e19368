import Testing
@testable import TraceMalloc

// Which line an initializer's allocations are attributed to, on real allocations, in debug and
// release builds alike: an object, to the line that called its initializer; what an
// initializer's body allocates, to that body's line. Tracing is process-wide: these tests need
// `swift test --no-parallel`.

/// A class whose designated and convenience initializers both allocate in their bodies.
private final class Shelf {
    static let designatedBodyLine = #line + 6
    static let convenienceBodyLines = (delegation: #line + 10, append: #line + 11)

    var books: [Int]

    init(count: Int) {
        books = [Int](repeating: 0, count: count)
    }

    /// Starts with three books and adds two hundred.
    convenience init() {
        self.init(count: 3)
        books.append(contentsOf: [Int](repeating: 1, count: 200))
    }
}

/// A structure's initializer is not an allocating initializer: its body is the caller's code.
private struct Crate {
    static let bodyLine = #line + 4
    var slots: [Int]

    init(count: Int) {
        slots = [Int](repeating: 0, count: count)
    }
}

/// Runs `body` while tracing, from a stopped state, and stops after.
private func tracing<Result>(_ body: () throws -> Result) throws -> Result {
    TraceMalloc.stop()
    try TraceMalloc.start()
    defer { TraceMalloc.stop() }
    return try body()
}

/// `filename:lineno` of the most recent frame of the traceback of the block at `address`.
private func line(ofBlock address: UnsafeRawPointer) -> String {
    TraceMalloc.traceback(ofBlock: address)?.last.map { "\($0.filename):\($0.lineno)" } ?? "nil"
}

/// The block of an array's storage: its 32-byte header precedes the elements.
private func storageBlock(of array: [Int]) -> UnsafeRawPointer {
    array.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) - 32 }
}

private func objectBlock(_ object: AnyObject) -> UnsafeRawPointer {
    UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque())
}

@Test func objectIsAttributedToTheLineThatCalledItsDesignatedInitializer() throws {
    let callLine = #line + 2
    let (shelf, objectLine, booksLine) = try tracing {
        let shelf = Shelf(count: 5)
        return (shelf, line(ofBlock: objectBlock(shelf)), line(ofBlock: storageBlock(of: shelf.books)))
    }

    #expect(objectLine == "\(#filePath):\(callLine)")
    #expect(booksLine == "\(#filePath):\(Shelf.designatedBodyLine)")
    withExtendedLifetime(shelf) {}
}

@Test func convenienceInitializerBodyIsTheCallersCode() throws {
    let (shelf, objectLine, booksLine) = try tracing {
        let shelf = Shelf()
        return (shelf, line(ofBlock: objectBlock(shelf)), line(ofBlock: storageBlock(of: shelf.books)))
    }

    #expect(objectLine == "\(#filePath):\(Shelf.convenienceBodyLines.delegation)")
    #expect(booksLine == "\(#filePath):\(Shelf.convenienceBodyLines.append)")
    #expect(shelf.books.count == 203)
}

@Test func structureInitializerBodyIsTheCallersCode() throws {
    let (crate, slotsLine) = try tracing {
        let crate = Crate(count: 300)
        return (crate, line(ofBlock: storageBlock(of: crate.slots)))
    }

    #expect(slotsLine == "\(#filePath):\(Crate.bodyLine)")
    #expect(crate.slots.count == 300)
}
