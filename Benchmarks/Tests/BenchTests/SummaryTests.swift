import Testing

@testable import bench

@Suite struct SummaryTests {
    @Test func medianOfAnOddCountIsTheMiddleValue() throws {
        let summary = try #require(Summary([3, 1, 2, 10, 0.5]))
        #expect(summary.median == 2)
        #expect(summary.min == 0.5)
        #expect(summary.max == 10)
        #expect(summary.count == 5)
    }

    @Test func medianOfAnEvenCountIsTheMeanOfTheMiddlePair() {
        #expect(Summary([4, 1, 3, 2])?.median == 2.5)
    }

    @Test func noValuesGiveNoSummary() {
        #expect(Summary([]) == nil)
    }

    @Test func ratiosAndSecondsPrintWithTheirRanges() throws {
        #expect(try #require(Summary([1.234, 1.1, 1.5])).ratio == "1.23x (1.10–1.50)")
        #expect(try #require(Summary([12.34])).ratio == "12.3x (12.3–12.3)")
        #expect(try #require(Summary([0.4123, 0.5, 1.5])).seconds == "0.500 s (0.412–1.50)")
    }

    @Test func geometricMeanOfRatios() {
        #expect(abs(geometricMean([2, 8]) - 4) < 1e-12)
        #expect(abs(geometricMean([1.5]) - 1.5) < 1e-12)
    }
}
