import Foundation

/// The programs of issue 11: built without frame pointers, as users build them, and traced as
/// they are. Binary-trees in C and Swift are built both ways by Benchmarks/run, so that the
/// cost of their missing frame pointers shows; jq and perl are Debian's.
enum Programs {
    /// The depth of both binary-trees: about 0.1 s (C) and 0.2 s (Swift) untraced.
    static let binaryTreesDepth = 14
    /// The objects of jq's input: about 0.4 s untraced (jq 1.6).
    static let jsonObjects = 4_000
    /// What jq computes: an object and an array of new strings for every input object.
    static let jqFilter = "[.[] | {k: .name, v: (.tags | map(ascii_upcase))}] | length"
    /// The hash keys perl makes: about 0.3 s untraced.
    static let perlKeys = 60_000
    /// A hash of arrays of repeated strings, SIZE keys.
    static let perlScript =
        #"my $n = shift; my %h; for my $i (1..$n) { $h{"k$i"} = [map { "v$_" x 3 } 1..5] } print scalar(keys %h), "\n""#

    /// Something tiny every mode can run, to find a mode that does not work before timing it.
    static let probe = Target.program(.success(Command(executable: "/bin/true", arguments: [])))

    /// The rows, each build without frame pointers followed by its frame-pointer twin; only
    /// the builds without frame pointers make up the geometric means.
    ///
    /// - Parameter scratch: where jq's input is written.
    static func rows(tools: Tools, scratch: String) -> [Row] {
        let depth = [String(binaryTreesDepth)]
        var rows: [Row] = []
        for (language, flags, name) in [
            ("C", "cc -O2", "c-binary-trees"), ("Swift", "swiftc -O", "swift-binary-trees"),
        ] {
            rows.append(
                Row(
                    name: name, label: "\(language) binary-trees, \(flags), depth \(binaryTreesDepth)",
                    target: .program(tools.program(name).command(depth)), inGeomean: true,
                    framePointerTwin: name + "-fp"))
            rows.append(
                Row(
                    name: name + "-fp", label: "the same with frame pointers",
                    target: .program(tools.program(name + "-fp").command(depth)), inGeomean: false))
        }
        let input = scratch + "/programs-input.json"
        let jq: Result<Command, Unavailable>
        do {
            try json(objects: jsonObjects).write(toFile: input, atomically: true, encoding: .utf8)
            jq = tools.jq.command(["-c", jqFilter, input])
        } catch {
            jq = .failure(Unavailable("cannot write jq's input: \(error)"))
        }
        rows.append(
            Row(name: "jq", label: "jq (Debian), \(jsonObjects) objects", target: .program(jq),
                inGeomean: true))
        rows.append(
            Row(
                name: "perl", label: "perl (Debian), \(perlKeys) hash keys",
                target: .program(tools.perl.command(["-e", perlScript, String(perlKeys)])), inGeomean: true))
        return rows
    }

    /// A JSON array of `objects` objects, the same every time: a name, an id, six tags and a
    /// nested object with two numbers and two labels.
    static func json(objects: Int) -> String {
        let items = (0..<objects).map { i in
            let tags = (0..<6).map { "\"tag-\(i % 97)-\($0)\"" }.joined(separator: ",")
            return #"{"name":"item-\#(i)","id":\#(i),"tags":[\#(tags)],"#
                + #""point":{"x":\#(i % 1000),"y":\#(i * 7 % 1000),"labels":["l\#(i % 13)","m\#(i % 31)"]}}"#
        }
        return "[" + items.joined(separator: ",") + "]\n"
    }
}
