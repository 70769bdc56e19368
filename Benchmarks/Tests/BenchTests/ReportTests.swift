import Testing

@testable import bench

@Suite struct ReportTests {
    @Test func fieldsAreReadFromKeyValueOutput() {
        let output = "json size=40 checksum=12 seconds=0.5\ntracing=true traceback-limit=25\n"
        #expect(field("seconds", in: output) == "0.5")
        #expect(field("traceback-limit", in: output) == "25")
        #expect(field("limit", in: output) == nil)
    }

    @Test func goalsPassOnTheirSideOfTheTarget() {
        let atMost = Goal(name: "n", target: 1.3, direction: .atMost, unit: "x", measured: .success(1.3))
        #expect(atMost.verdict == "PASS")
        let missed = Goal(name: "n", target: 1.3, direction: .atMost, unit: "x", measured: .success(1.31))
        #expect(missed.verdict == "MISS")
        let atLeast = Goal(name: "n", target: 5, direction: .atLeast, unit: "x", measured: .success(4.9))
        #expect(atLeast.verdict == "MISS")
        #expect(atLeast.targetText == "≥ 5.00x")
    }

    @Test func anUnmeasuredGoalSaysWhy() {
        let goal = Goal(name: "n", target: 32, direction: .atMost, unit: " B", measured: .failure(Unavailable("no tool")))
        #expect(goal.verdict == "n/a")
        #expect(goal.measuredText == "n/a (no tool)")
    }

    @Test func footnotesNumberEachReasonOnce() {
        var footnotes = Footnotes()
        #expect(footnotes.mark("a") == "[1]")
        #expect(footnotes.mark("b") == "[2]")
        #expect(footnotes.mark("a") == "[1]")
        #expect(footnotes.text == "\nn/a:\n[1] a\n[2] b\n")
    }

    @Test func markdownTablesHaveAHeaderRule() {
        #expect(markdownTable([["a", "b"], ["1", "2"]]) == "| a | b |\n| --- | --- |\n| 1 | 2 |\n")
    }
}
