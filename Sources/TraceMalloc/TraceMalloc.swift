import CTraceMalloc

/// Traces the memory blocks the process allocates: Python's `tracemalloc` module.
///
///     try TraceMalloc.start(nframe: 25)
///     // … the program's work …
///     let snapshot = try TraceMalloc.takeSnapshot()
///     for statistic in try snapshot.statistics(.lineno).prefix(10) { print(statistic) }
///
/// Tracing is process-wide: every allocation of the malloc family (Swift objects, arrays and
/// strings included) in every thread is recorded while it is on. The environment variable
/// `SWIFTTRACEMALLOC=N` starts it with `nframe: N` when the process starts; a value that is not
/// a number in 0...65535 prints one line on standard error and leaves tracing off (Python stops
/// the process instead).
///
/// The tracer's own allocations (building a snapshot, symbolising) are not traced, so they never
/// show in the statistics. CPython traces the Python objects its `tracemalloc` module creates.
///
/// Python: `tracemalloc`
public enum TraceMalloc {
    /// The values `nframe` may take: Python's 1...65535 (the core's `TM_MAX_NFRAME`), for the
    /// library and the tool alike.
    package static let nframeRange = 1...Int(TM_MAX_NFRAME)

    /// Starts tracing memory allocations, keeping up to `nframe` frames per traceback.
    ///
    /// While tracing, this only checks `nframe`: the limit of the first call stays, as in
    /// Python.
    ///
    /// - Parameter nframe: The number of frames (most recent first) each traceback keeps,
    ///   counted from the caller's code: the runtime's frames between it and `malloc` are not
    ///   counted.
    /// - Throws: `TraceMallocError.invalidFrameLimit` unless `nframe` is in 1...65535;
    ///   `.outOfMemory` when the tracer cannot map memory for its tables.
    ///
    /// Python: `tracemalloc.start(nframe=1)`
    public static func start(nframe: Int = 1) throws {
        guard nframeRange.contains(nframe) else {
            throw TraceMallocError.invalidFrameLimit
        }
        guard tm_start(Int32(nframe)) == 0 else {
            throw TraceMallocError.outOfMemory
        }
    }

    /// Stops tracing and clears the traces of every domain; `tracedMemory()` becomes (0, 0).
    /// `tracebackLimit` is kept.
    ///
    /// Python: `tracemalloc.stop()`
    public static func stop() {
        tm_stop()
    }

    /// Whether allocations are being traced.
    ///
    /// Python: `tracemalloc.is_tracing()`
    public static var isTracing: Bool {
        tm_is_tracing()
    }

    /// Forgets every trace and sets the traced memory and its peak to 0; tracing goes on.
    /// Does nothing when not tracing.
    ///
    /// Python: `tracemalloc.clear_traces()`
    public static func clearTraces() {
        tm_clear_traces()
    }

    /// The number of frames a traceback keeps: the `nframe` of the last `start` (1 before any).
    ///
    /// Python: `tracemalloc.get_traceback_limit()`
    public static var tracebackLimit: Int {
        Int(tm_get_traceback_limit())
    }

    /// The total size of the traced blocks now, and the highest it has been since tracing
    /// started or `resetPeak()`; (0, 0) when not tracing.
    ///
    /// - Returns: `current` and `peak`, in bytes.
    ///
    /// Python: `tracemalloc.get_traced_memory()`
    public static func tracedMemory() -> (current: Int, peak: Int) {
        var current = 0
        var peak = 0
        tm_get_traced_memory(&current, &peak)
        return (current, peak)
    }

    /// Sets the peak of the traced memory to its current size, to measure the peak of the work
    /// that follows. Does nothing when not tracing.
    ///
    /// Python: `tracemalloc.reset_peak()`
    public static func resetPeak() {
        tm_reset_peak()
    }

    /// The memory the tracer uses for its own tables (traces, tracebacks, images), in bytes.
    ///
    /// - Returns: The bytes the tracer has mapped.
    ///
    /// Python: `tracemalloc.get_tracemalloc_memory()`
    public static func tracemallocMemory() -> Int {
        tm_get_tracemalloc_memory()
    }

    /// Takes a snapshot of the traces of every block traced now.
    ///
    /// Symbolising the tracebacks reads the images' symbol tables and DWARF, once per return
    /// address for the life of the process.
    ///
    /// - Parameter keepingRuntimeFrames: Whether to keep the frames of the runtime (libc,
    ///   libswiftCore, Foundation…) and of code inlined from the standard library at the top of
    ///   each traceback, and every frame captured; then tracebacks may hold more frames than
    ///   `tracebackLimit`. By default they are dropped and `tracebackLimit` frames of the
    ///   caller's code are kept.
    /// - Returns: The traces, in no particular order, with the current `tracebackLimit`.
    /// - Throws: `TraceMallocError.notTracing` when not tracing; `.outOfMemory` when the
    ///   tracer cannot map memory for the copy.
    ///
    /// Python: `tracemalloc.take_snapshot()`
    public static func takeSnapshot(keepingRuntimeFrames: Bool = false) throws -> Snapshot {
        try ignoringAllocations {
            var raw = tm_snapshot()
            switch tm_take_snapshot(&raw) {
            case 0:
                break
            case -2:
                throw TraceMallocError.notTracing
            default:
                throw TraceMallocError.outOfMemory
            }
            defer { tm_snapshot_free(&raw) }
            let limit = Int(raw.traceback_limit)
            let tracebacks = UnsafeBufferPointer(start: raw.tracebacks, count: raw.traceback_count).map { id in
                symbolizedTraceback(tm_traceback_get(id), limit: limit, keepingRuntimeFrames: keepingRuntimeFrames)
            }
            let records = UnsafeBufferPointer(start: raw.traces, count: raw.trace_count).map { trace in
                Snapshot.Record(domain: trace.domain, size: Int(trace.size), traceback: Int(trace.traceback))
            }
            return Snapshot(tracebacks: tracebacks, records: records, tracebackLimit: limit)
        }
    }

    /// Where a class instance was allocated.
    ///
    /// - Parameter object: A class instance (its address is the block `malloc` returned).
    /// - Returns: The traceback of the allocation, with `totalNframe` nil as in Python; nil
    ///   when not tracing or when the object was allocated while not tracing.
    ///
    /// Python: `tracemalloc.get_object_traceback(obj)`
    public static func objectTraceback(_ object: AnyObject) -> Traceback? {
        traceback(ofBlock: UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque()))
    }

    /// Where a traced block was allocated (or tracked).
    ///
    /// - Parameters:
    ///   - block: The block's address.
    ///   - domain: The block's address space: 0 for the malloc family, else the one given to
    ///     `track(domain:address:size:)`.
    /// - Returns: The traceback, with `totalNframe` nil; nil when not tracing or the block is
    ///   not traced.
    ///
    /// Python: `_PyTraceMalloc_GetTraceback(domain, ptr)` (C API)
    public static func traceback(ofBlock block: UnsafeRawPointer, domain: UInt32 = 0) -> Traceback? {
        ignoringAllocations {
            let id = tm_get_traceback(domain, UInt(bitPattern: block))
            guard id != 0 else {
                return nil
            }
            let traceback = symbolizedTraceback(tm_traceback_get(id), limit: tracebackLimit, keepingRuntimeFrames: false)
            return Traceback(frames: traceback.frames, totalNframe: nil)
        }
    }

    /// Traces a block of memory the malloc family does not see (a custom allocator, `mmap`, a
    /// GPU buffer), with the caller's traceback. Tracing the same `(domain, address)` again
    /// replaces its trace.
    ///
    /// - Parameters:
    ///   - domain: The address space; 0 is the malloc family's, use another for your own.
    ///   - address: The block's address.
    ///   - size: The block's size in bytes, below 1 TiB.
    /// - Throws: `TraceMallocError.trackWhileNotTracing` when not tracing; `.outOfMemory` when
    ///   the trace cannot be stored.
    ///
    /// Python: `PyTraceMalloc_Track(domain, ptr, size)` (C API)
    @inline(never)  // its frame is skipped by the capture, so it must have one
    public static func track(domain: UInt32, address: UInt, size: Int) throws {
        precondition(size >= 0, "a block's size cannot be negative")
        switch tm_track(domain, address, size, 1) {
        case 0:
            return
        case -2:
            throw TraceMallocError.trackWhileNotTracing
        default:
            throw TraceMallocError.outOfMemory
        }
    }

    /// Stops tracing a block given to `track(domain:address:size:)`. Untracking a block that is
    /// not traced does nothing, as in Python.
    ///
    /// - Parameters:
    ///   - domain: The block's address space.
    ///   - address: The block's address.
    /// - Throws: `TraceMallocError.trackWhileNotTracing` when not tracing.
    ///
    /// Python: `PyTraceMalloc_Untrack(domain, ptr)` (C API)
    public static func untrack(domain: UInt32, address: UInt) throws {
        guard tm_untrack(domain, address) == 0 else {
            throw TraceMallocError.trackWhileNotTracing
        }
    }

    /// Runs `body` with this thread's allocations untraced: the tracer's bookkeeping does not
    /// belong in the user's statistics.
    private static func ignoringAllocations<Result>(_ body: () throws -> Result) rethrows -> Result {
        tm_thread_ignore_begin()
        defer { tm_thread_ignore_end() }
        return try body()
    }

    private static func symbolizedTraceback(_ raw: tm_traceback, limit: Int, keepingRuntimeFrames: Bool) -> Traceback {
        let addresses = UnsafeBufferPointer(start: raw.frames, count: Int(raw.count))
        return Symbolizer.currentProcess.traceback(
            returnAddresses: addresses,
            totalDepth: Int(raw.total),
            limit: keepingRuntimeFrames ? Int.max : limit,
            keepingRuntimeFrames: keepingRuntimeFrames
        )
    }
}
