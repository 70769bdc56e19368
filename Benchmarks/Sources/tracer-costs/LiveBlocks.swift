import CWorkloads
import TraceMalloc
import Workloads

/// Allocates 1,000,000 live 32-byte blocks from 1,000 C call sites while tracing with `nframe`,
/// then prints the tracer's memory per block and the seconds of takeSnapshot(),
/// statistics(.lineno) and dump(to:) over them. The first snapshot symbolises the 1,000 sites;
/// a second one, timed apart, finds them in the symbolizer's cache.
///
/// Tracebacks are 1,000 of a million, so their share of the memory figure is negligible: the
/// figure is the cost of the trace table.
func measureLiveBlocks(nframe: Int, dumpPath: String) throws {
    let count = 1_000_000
    // Allocated before tracing starts, so it is no trace of its own.
    let blocks = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: count)
    try TraceMalloc.start(nframe: nframe)
    let tracerBytesBefore = TraceMalloc.tracemallocMemory()
    let allocated = cw_allocate_from_sites(blocks, count, 32, 1_000)
    let tracerBytesAfter = TraceMalloc.tracemallocMemory()
    precondition(allocated == count, "malloc failed after \(allocated) blocks")

    let (snapshot, snapshotSeconds) = try measureSeconds { try TraceMalloc.takeSnapshot() }
    let (statistics, statisticsSeconds) = try measureSeconds { try snapshot.statistics(.lineno) }
    let (_, cachedSnapshotSeconds) = try measureSeconds { try TraceMalloc.takeSnapshot() }
    let (_, dumpSeconds) = try measureSeconds { try snapshot.dump(to: dumpPath) }
    let traces = snapshot.traces.count
    TraceMalloc.stop()
    cw_free_blocks(blocks, count)
    blocks.deallocate()

    let bytesPerBlock = Double(tracerBytesAfter - tracerBytesBefore) / Double(count)
    print(
        "nframe=\(nframe) bytes-per-block=\(bytesPerBlock) traces=\(traces)",
        "statistics=\(statistics.count) snapshot-seconds=\(snapshotSeconds)",
        "statistics-seconds=\(statisticsSeconds) cached-snapshot-seconds=\(cachedSnapshotSeconds)",
        "dump-seconds=\(dumpSeconds)")
}
