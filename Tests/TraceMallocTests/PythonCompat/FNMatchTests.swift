import Testing
@testable import TraceMalloc

private func matches(_ name: String, _ pattern: String) -> Bool {
    FNMatchPattern(pattern).matches(name)
}

@Test func starCrossesSlashesAndNewlines() {
    #expect(matches("/app/Sources/main.swift", "/app/*.swift"))
    #expect(matches("a\nb.py", "a*.py"))
    #expect(matches("", "*"))
    #expect(!matches("main.swift", "*.py"))
}

@Test func questionMarkIsOneCodePoint() {
    #expect(matches("caf\u{E9}", "caf?"))
    #expect(!matches("cafe\u{301}", "caf?"))
    #expect(matches("cafe\u{301}", "caf??"))
}

@Test func setsFollowPythonsTranslate() {
    #expect(matches("b", "[a-c]") && !matches("d", "[a-c]"))
    #expect(matches("d", "[!a-c]") && !matches("b", "[!a-c]"))
    #expect(matches("]", "[]]") && matches("x", "[!]]") && !matches("]", "[!]]"))
    #expect(!matches("a", "[z-a]") && !matches("z", "[z-a]"))  // a reversed range matches nothing
    #expect(matches("-", "[a-b-c]") && !matches("-", "[a-c]"))
    #expect(matches("[", "[") && matches("[ab", "[ab"))  // an unclosed [ is literal
    #expect(matches("\\", "\\") && matches(".hidden", "*hidden"))
}

@Test func matchingIsCaseSensitive() {
    #expect(!matches("Mod.PY", "*.py"))
    #expect(matches("Mod.PY", "*.PY"))
}
