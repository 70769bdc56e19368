import Testing
@testable import TraceMalloc

@Test func keyTypesParseFromPythonsNames() throws {
    #expect(try KeyType(parsing: "filename") == .filename)
    #expect(try KeyType(parsing: "lineno") == .lineno)
    #expect(try KeyType(parsing: "traceback") == .traceback)
    #expect(KeyType.allCases.map(\.rawValue) == ["filename", "lineno", "traceback"])
}

@Test func unknownKeyTypeThrowsPythonsMessage() {
    #expect(throws: TraceMallocError.unknownKeyType("Lineno")) { try KeyType(parsing: "Lineno") }
    #expect(TraceMallocError.unknownKeyType("line").description == "unknown key_type: 'line'")
}
