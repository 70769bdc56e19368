#!/usr/bin/env python3
"""Writes the golden files the Swift model tests compare against, using CPython's tracemalloc.

Run from anywhere with the python3 the goldens should follow (3.11.7 here):

    python3 Tests/Goldens/generate.py

It is seeded, so a rerun with the same Python rewrites identical files:

- sources/        fixture source files for Traceback.format (line endings, BOM, bad UTF-8, ...)
- snapshots.jsonl one generated case per line: raw traces in (frames most recent first, as
                  tracemalloc.Snapshot takes them), and the str()/repr() lines Python prints for
                  the traces, every statistics() key type, compare_to(), filter_traces() and
                  Traceback.format()
- units.json      _format_size, Statistic averages, fnmatch and repr() cases

Fixture files appear in traces as "{SOURCES}/name", a name no file has, so that statistics and
filters do not depend on where the repository lives. Only Traceback.format reads them: Python and
the Swift test put the real directory in for that call and take it out of the lines it returns.
"""

import fnmatch
import json
import linecache
import os
import random
import sys
import tracemalloc
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = os.path.join(HERE, "sources")
PLACEHOLDER = "{SOURCES}"
CASES = 240

# Fixture files, as bytes, exercising what linecache does when it reads a file.
FIXTURES = {
    "plain.swift": b"let a = 1\n    let b = 2  \n\n\tlet c = 3\t\nfinal line without newline",
    "crlf.swift": b"first\r\n  second\r\n\r\nfourth\r\n",
    "cr.swift": b"one\r  two\rthree",
    "bom.swift": b"\xef\xbb\xbf  after bom\nsecond\n",
    "invalid-utf8.swift": b"valid line\n\xff\xfe broken\n",
    "unicode-space.swift": "\u3000wide\u3000\n\xa0nbsp\xa0\n\x1cfile-sep\x1f\n\u2028sep\n\x0cform feed\x0c\n"
                           "caf\u00e9 \u00e9t\u00e9\n\x85nel\n".encode(),
    "blank.swift": b"   \n\t\n\n",
    "empty.swift": b"",
}
# Names of no file, or of a directory: format() prints no source line for them.
UNREADABLE = ["missing.swift", "directory.swift"]

NAMES = [
    "a.py", "b.py", "Z.py", "a", "b", "ab", "dir/sub/x.swift", "/app/main.swift", "/app/Mod.PY",
    "/lib/util.swift", "x.pyc", "X.PYC", "caf\u00e9.swift", unicodedata.normalize("NFD", "caf\u00e9.swift"),
    "\U0001F4E6/box.swift", "sp ace.swift", "[x].py", "a\nb.py", "<unknown>", "", "-", "!", "]", "\\x.py",
]

PATTERN_PIECES = [
    "*", "?", "a", "b", ".py", ".swift", "/app/", "dir/", "[a-z]", "[!a]", "[]]", "[!]]", "[z-a]", "[!z-a]",
    "[", "\\", "caf\u00e9", unicodedata.normalize("NFD", "caf\u00e9"), "[\u00e0-\u00ff]", "*.pyc", "X", "[-]",
    "[a-]", "[!-]", "Z", "\U0001F4E6", "**", "[^a]", "[[]", "x",
]

KEY_TYPES = [("lineno", False), ("filename", False), ("traceback", False), ("lineno", True), ("filename", True)]


def write_fixtures():
    os.makedirs(SOURCES, exist_ok=True)
    for name, data in FIXTURES.items():
        with open(os.path.join(SOURCES, name), "wb") as file:
            file.write(data)
    os.makedirs(os.path.join(SOURCES, "directory.swift"), exist_ok=True)
    with open(os.path.join(SOURCES, "directory.swift", ".keep"), "w"):
        pass


def random_size(rng):
    kind = rng.random()
    if kind < 0.15:
        return 0
    if kind < 0.35:
        return rng.choice([1, 2, 5, 7, 10, 16, 32, 64, 100])  # small values make ties likely
    if kind < 0.5:
        return rng.choice([1023, 1024, 10239, 10240, 102399, 102400, 10485759, 10485760, 10 << 40])
    if kind < 0.9:
        return rng.randrange(0, 1 << rng.choice([8, 14, 20, 30, 41]))
    return rng.randrange(1 << 40, 1 << 44)  # beyond 1 TiB


def random_frame(rng, names):
    return (rng.choice(names), rng.choice([0, 1, 1, 2, 3, 5, 40]))


def random_traces(rng, names, limit, count, huge=False):
    tracebacks = []
    for _ in range(rng.randint(1, 6)):
        depth = rng.randint(1, limit)
        frames = [random_frame(rng, names) for _ in range(depth)]
        if depth > 1 and rng.random() < 0.3:  # recursion: the same frame several times
            frames[rng.randrange(depth)] = frames[0]
        tracebacks.append(tuple(frames))
    traces = []
    for _ in range(count):
        frames = rng.choice(tracebacks)
        total = rng.choice([None, len(frames), len(frames) + rng.randint(1, 5)])
        size = rng.randrange(1 << 58, 1 << 59) if huge else random_size(rng)
        traces.append((rng.choice([0, 0, 0, 1, 5, 4294967295]), size, frames, total))
    return traces


def random_pattern(rng):
    return "".join(rng.choice(PATTERN_PIECES) for _ in range(rng.randint(1, 4)))


def random_filters(rng):
    filters = []
    for _ in range(rng.randint(0, 3)):
        inclusive = rng.random() < 0.5
        if rng.random() < 0.25:
            filters.append(["domain", inclusive, rng.choice([0, 1, 5])])
        else:
            pattern = rng.choice([random_pattern(rng), rng.choice(NAMES), "*", "*.py", "/app/*", "*[ab]*"])
            lineno = rng.choice([None, None, 1, 2, 40])
            domain = rng.choice([None, None, 0, 5])
            filters.append(["filter", inclusive, pattern, lineno, rng.random() < 0.4, domain])
    return filters


def make_filter(spec):
    if spec[0] == "domain":
        return tracemalloc.DomainFilter(spec[1], spec[2])
    _, inclusive, pattern, lineno, all_frames, domain = spec
    return tracemalloc.Filter(inclusive, pattern, lineno=lineno, all_frames=all_frames, domain=domain)


def statistics_lines(snapshot, old):
    stats, reprs, diffs, diff_reprs = {}, {}, {}, {}
    for key_type, cumulative in KEY_TYPES:
        name = key_type + ("/cumulative" if cumulative else "")
        try:
            result = snapshot.statistics(key_type, cumulative)
            compared = snapshot.compare_to(old, key_type, cumulative)
        except (IndexError, TypeError) as error:  # an empty traceback: Python cannot print it
            raise AssertionError("generated a case Python cannot handle") from error
        stats[name] = [str(stat) for stat in result]
        diffs[name] = [str(diff) for diff in compared]
        if not cumulative:  # the reprs of cumulative keys add nothing the lineno ones lack
            reprs[name] = [repr(stat) for stat in result]
            diff_reprs[name] = [repr(diff) for diff in compared]
    return stats, reprs, diffs, diff_reprs


def encode_traces(traces):
    return [{"domain": domain, "size": size, "frames": [{"filename": f, "lineno": n} for f, n in frames],
             "total_nframe": total} for domain, size, frames, total in traces]


def tie_case():
    """Equal sizes and counts everywhere, so only the traceback order sorts the statistics:
    code point order (NFD before NFC, "Z" before "a"), prefixes first, then line numbers."""
    nfc, nfd = "caf\u00e9.swift", unicodedata.normalize("NFD", "caf\u00e9.swift")
    stacks = [((nfc, 1),), ((nfd, 1),), (("Z.py", 1),), (("a.py", 1),), (("a", 1),), (("", 1),),
              (("\U0001F4E6/box.swift", 1),), (("a.py", 2),), (("a.py", 1), ("b.py", 1)),
              (("b.py", 1), ("a.py", 1)), ((nfd, 1), ("a.py", 1)), ((nfc, 1), ("a.py", 1)),
              (("a.py", 1), ("a.py", 1))]
    traces = [(0, 64, frames, len(frames)) for frames in stacks]
    old = [(0, 32, frames, len(frames)) for frames in stacks[::2]]
    return traces, old


def make_case(rng, index):
    limit = rng.randint(1, 6)
    names = rng.sample(NAMES, rng.randint(2, 8))
    if rng.random() < 0.3:
        names += [PLACEHOLDER + "/" + name for name in rng.sample(sorted(FIXTURES) + UNREADABLE, 3)]
    # Sums beyond 2^53 test the single rounding of averages; few, shallow traces keep every
    # cumulative sum below 2^63.
    huge = index % 20 == 7
    if huge:
        limit = 1
    count = rng.randint(1, 3) if huge else rng.choice([0, 1, 2, 5, 10, 20, 40])
    traces = random_traces(rng, names, limit, count, huge)
    if index == 0:
        limit = 2
        traces, old_traces = tie_case()
    elif rng.random() < 0.5:
        old_traces = [t for t in traces if rng.random() < 0.6]
        old_traces += random_traces(rng, names, limit, rng.randint(0, 2 if huge else 6), huge)
        old_traces = [(d, s if rng.random() < 0.7 else random_size(rng), f, t) for d, s, f, t in old_traces]
    else:
        old_traces = random_traces(rng, names, limit, rng.randint(0, 2 if huge else 10), huge)

    snapshot = tracemalloc.Snapshot(traces, limit)
    old = tracemalloc.Snapshot(old_traces, limit)
    stats, stat_reprs, diffs, diff_reprs = statistics_lines(snapshot, old)

    positions = {id(trace): position for position, trace in enumerate(snapshot.traces._traces)}
    filters = []
    for _ in range(6):
        specs = random_filters(rng)
        built = [make_filter(spec) for spec in specs]
        kept = snapshot.filter_traces(built).traces._traces
        filters.append({"filters": specs, "patterns": [getattr(f, "filename_pattern", None) for f in built],
                        "kept": [positions[id(trace)] for trace in kept]})

    formats = []
    for position in rng.sample(range(len(traces)), min(3, len(traces))):
        _, _, frames, total = traces[position]
        traceback = tracemalloc.Traceback(tuple((f.replace(PLACEHOLDER, SOURCES), n) for f, n in frames), total)
        for _ in range(2):
            limit_arg = rng.choice([None, -7, -3, -2, -1, 0, 1, 2, 3, 7])
            recent_first = rng.random() < 0.5
            lines = [line.replace(SOURCES, PLACEHOLDER) for line in traceback.format(limit_arg, recent_first)]
            formats.append({"trace": position, "limit": limit_arg, "most_recent_first": recent_first,
                            "lines": lines})

    return {
        "name": "case-%03d" % index,
        "limit": limit,
        "traces": encode_traces(traces),
        "old_traces": encode_traces(old_traces),
        "trace_str": [str(trace) for trace in snapshot.traces],
        "trace_repr": [repr(trace) for trace in snapshot.traces],
        "statistics": stats,
        "statistics_repr": stat_reprs,
        "compare": diffs,
        "compare_repr": diff_reprs,
        "filters": filters,
        "formats": formats,
    }


def format_size_cases(rng):
    fs = tracemalloc._format_size
    ints = [0, 1, 99, 100, 1023, 1024, 10239, 10240, 102399, 102400, 10485759, 10485760, 1 << 40, 10 << 40,
            (10 << 40) - 1, 1 << 50, 1 << 60, (1 << 63) - 1]
    ints += [rng.randrange(1 << rng.randint(1, 62)) for _ in range(300)]
    ints += [-value for value in ints]
    floats = [2.5, 3.5, -0.4, 0.5, 1.5, -2.5, 10239.5, 0.15 * 1024, 0.25 * 1024, 0.05 * 1024, 99.95 * 1024,
              99.94999 * 1024, 102399.5, 10485759.999, -1.5, -99.95 * 1024, -0.0, 1e300, 2.0 ** -1074]
    floats += [rng.uniform(0, 1) * 2 ** rng.randint(0, 50) for _ in range(300)]
    floats += [k / 20 * 1024 ** rng.randint(1, 3) for k in range(0, 2000, 7)]  # x.x5 boundaries
    cases = [[value, signed, fs(value, signed)] for value in ints for signed in (False, True)]
    cases += [[value.hex(), signed, fs(value, signed)] for value in floats for signed in (False, True)]
    return cases


def average_cases(rng):
    def case(size, count):
        return [size, count, str(tracemalloc.Statistic(tracemalloc.Traceback((("x", 1),)), size, count))]

    cases = []
    for _ in range(300):
        cases.append(case(rng.randrange(1 << rng.randint(1, 62)), rng.randrange(1, 1 << rng.randint(1, 40))))
    # Sums beyond 2^53 next to a rounding boundary of the average, where rounding the sum to a
    # float before dividing (float(size) / count) prints another number than Python's size / count.
    double_rounded = 0
    while double_rounded < 40:
        count = rng.randrange(2, 5000)
        if rng.random() < 0.5:
            boundary = (2 * rng.randrange(10240, 1 << 22) + 1) << 39  # m + 0.5 TiB
        else:
            boundary = (2 * rng.randrange(100, 1000) + 1) * 1024 ** rng.randint(1, 4) // 20  # x.x5 units
        size = boundary * count + rng.randrange(-4 * count, 4 * count)
        if (1 << 53) < size < (1 << 63):
            fs = tracemalloc._format_size
            if fs(size / count, False) != fs(float(size) / count, False):
                cases.append(case(size, count))
                double_rounded += 1
    return cases


def fnmatch_cases(rng):
    alphabet = list("ab-!]^[\\/*?.\n") + ["\u00e9", "e\u0301", "\U0001F4E6", "z"]
    name_alphabet = list("ab-!]^[\\/.\nz") + ["\u00e9", "e\u0301", "\U0001F4E6"]

    def random_name(length):
        return "".join(rng.choice(name_alphabet) for _ in range(length))

    def name_like(pattern):  # often a match: wildcards filled in, literals kept
        parts = []
        for char in pattern:
            if char == "*":
                parts.append(random_name(rng.randint(0, 3)))
            elif char in "?[]!-":
                parts.append(random_name(1) if rng.random() < 0.7 else char)
            else:
                parts.append(char)
        return "".join(parts)

    # Set syntax corners, against every short name over the interesting code points.
    curated = ["[a-b-c]", "[a-]", "[-a]", "[!-a]", "[]-a]", "[!]-a]", "[z-a]", "[!z-a]", "[a-z-a]", "[z-a-c]",
               "[x-zz-a]", "[a--]", "[---]", "[--a]", "[!--a]", "[\\-a]", "[a-\\]", "[[-]]", "[^a]", "[]]", "[!]]",
               "[", "[!", "[]", "[!]", "a[", "*[", "[*]", "[?]", "[a-c][!b]*", "**a**", "*a*b*", "?*?", "[!]a-]",
               "[\u00e9-\u00fc]", "[e\u0301]", "[&&a]", "[~|]", "[a-a]", "[b-a-z]", "[!!]", "[!a-]", "[]a-]"]
    short_names = [""] + name_alphabet + [x + y for x in name_alphabet for y in name_alphabet]
    cases = [[name, pattern, fnmatch.fnmatchcase(name, pattern)] for pattern in curated for name in short_names]
    for _ in range(3000):
        pattern = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        for name in (random_name(rng.randint(0, 6)), name_like(pattern), name_like(pattern)):
            cases.append([name, pattern, fnmatch.fnmatchcase(name, pattern)])
    return cases


def source_line_cases():
    """Traceback.format of one frame for every line of every fixture, and past the end."""
    cases = []
    for name in sorted(FIXTURES) + UNREADABLE:
        for lineno in range(-1, 9):
            traceback = tracemalloc.Traceback(((os.path.join(SOURCES, name), lineno),))
            lines = [line.replace(SOURCES, PLACEHOLDER) for line in traceback.format()]
            cases.append([PLACEHOLDER + "/" + name, lineno, lines])
    return cases


def repr_cases():
    strings = ["a.py", "it's", 'say "hi"', "both ' and \"", "tab\there", "new\nline", "cr\rx", "back\\slash",
               "\x00\x1f\x7f", "caf\u00e9", "e\u0301", "\u200b zero width", "\xa0nbsp", "\u2028", "\u3000",
               "\U0001F4E6", "\ue000 private", "\U000e0001 tag", "\x85", "\xad soft hyphen"]
    return [[s, repr(s)] for s in strings]


def main():
    write_fixtures()
    sys.path[:] = []  # linecache must not find relative names on sys.path: Swift looks in the cwd only
    linecache.clearcache()
    rng = random.Random(20240611)
    lines = []
    for index in range(CASES):
        case = make_case(rng, index)
        lines.append(json.dumps(case, sort_keys=True))
    with open(os.path.join(HERE, "snapshots.jsonl"), "w") as file:
        file.write("\n".join(lines) + "\n")
    units = {"python": sys.version.split()[0], "format_size": format_size_cases(rng),
             "averages": average_cases(rng), "fnmatch": fnmatch_cases(rng), "repr": repr_cases(),
             "source_lines": source_line_cases()}
    with open(os.path.join(HERE, "units.json"), "w") as file:
        json.dump(units, file, sort_keys=True, indent=0)
        file.write("\n")


if __name__ == "__main__":
    main()
