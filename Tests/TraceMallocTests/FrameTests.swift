import Testing
@testable import TraceMalloc

@Test func frameKeepsItsFields() {
    let frame = Frame(filename: "main.swift", lineno: 3, function: "main")
    #expect(frame.filename == "main.swift")
    #expect(frame.lineno == 3)
}
