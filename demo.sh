#!/usr/bin/env bash
# The README's demo: build, trace the sample program Sources/tracemalloc-demo with
# `swift-tracemalloc run` (an unmodified program, tracer preloaded), then print its top lines.
set -euo pipefail
cd "$(dirname "$0")"
swift build -c release
bin=.build/release
"$bin/swift-tracemalloc" run --nframe 25 --output "$bin/demo.tm" -- "$bin/tracemalloc-demo"
echo "--- top lines of $bin/demo.tm (what the demo still held at exit):"
"$bin/swift-tracemalloc" top --limit 5 "$bin/demo.tm"
