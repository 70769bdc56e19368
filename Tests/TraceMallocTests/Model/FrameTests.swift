import Testing
@testable import TraceMalloc

private let nfc = "caf\u{E9}.swift"
private let nfd = "cafe\u{301}.swift"

@Test func frameKeepsItsFields() {
    let frame = Frame(filename: "main.swift", lineno: 3, function: "main()", image: "/bin/app")
    #expect(frame.filename == "main.swift")
    #expect(frame.lineno == 3)
    #expect(frame.function == "main()")
    #expect(frame.image == "/bin/app")
}

@Test func frameEqualityIgnoresFunctionAndImage() {
    let plain = Frame(filename: "a.swift", lineno: 1)
    let native = Frame(filename: "a.swift", lineno: 1, function: "f()", image: "/bin/app")
    #expect(plain == native)
    #expect(plain.hashValue == native.hashValue)
    #expect(!plain.isIdentical(to: native))
    #expect(native.isIdentical(to: native))
}

@Test func nfcAndNfdFileNamesAreDifferentFrames() {
    // Swift's String == says these are equal; Python's str == says they are not.
    #expect(nfc == nfd)
    #expect(Frame(filename: nfc, lineno: 1) != Frame(filename: nfd, lineno: 1))
    #expect(Set([Frame(filename: nfc, lineno: 1), Frame(filename: nfd, lineno: 1)]).count == 2)
}

@Test func framesOrderByCodePointThenLine() {
    #expect(Frame(filename: "Z.py", lineno: 9) < Frame(filename: "a.py", lineno: 1))
    #expect(Frame(filename: "a", lineno: 9) < Frame(filename: "a.py", lineno: 1))
    #expect(Frame(filename: "a.py", lineno: 1) < Frame(filename: "a.py", lineno: 2))
    // "e" (U+0065) sorts before "é" (U+00E9), so the NFD spelling comes first.
    #expect(Frame(filename: nfd, lineno: 5) < Frame(filename: nfc, lineno: 1))
    #expect(!(Frame(filename: nfc, lineno: 1) < Frame(filename: nfd, lineno: 5)))
    #expect(!(Frame(filename: "a.py", lineno: 1) < Frame(filename: "a.py", lineno: 1)))
}

@Test func framePrintsAsPythonsStrAndRepr() {
    let frame = Frame(filename: "it's.swift", lineno: 12, function: "f()")
    #expect(frame.description == "it's.swift:12")
    #expect(frame.debugDescription == "<Frame filename=\"it's.swift\" lineno=12>")
}
