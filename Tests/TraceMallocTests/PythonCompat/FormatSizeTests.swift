import Testing
@testable import TraceMalloc

@Test func sizesPrintWithPythonsUnitsAndRounding() {
    #expect(formatSize(1 << 40, signed: false) == "1024 GiB")
    #expect(formatSize(10 << 40, signed: false) == "10.0 TiB")
    #expect(formatSize(Int.max, signed: false) == "8388608 TiB")
    #expect(formatSize(-Int.max, signed: true) == "-8388608 TiB")
    #expect(formatSize(3.5, signed: false) == "4 B")
    #expect(formatSize(0.0, signed: true) == "+0 B")
}

@Test func trueDivisionRoundsOnceLikePython() {
    #expect(trueDivide(7, 2) == 3.5)
    #expect(trueDivide(-9, 2) == -4.5)
    #expect(trueDivide(Int.max, 1) == 0x1p63)
    #expect(trueDivide(1, Int.max) == 0x1p-63)
    // Python: (2**62 + 128) / 3 == 0x1.5555555555556p+60, where float(2**62 + 128) / 3 is one ulp less.
    #expect(trueDivide((1 << 62) + 128, 3) == 0x1.5555555555556p+60)
    #expect(Double((1 << 62) + 128) / 3 == 0x1.5555555555555p+60)
}
