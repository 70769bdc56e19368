import CWorkloads
import TraceMalloc
import Workloads

/// Prints the seconds of the first takeSnapshot() over one live block from each of 10,000 C
/// call sites: 10,000 return addresses the process has never symbolised, and little else.
func measureSymbolizing() throws {
    let sites = 10_000
    let blocks = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: sites)
    try TraceMalloc.start(nframe: 1)
    let allocated = cw_allocate_from_sites(blocks, sites, 16, sites)
    precondition(allocated == sites, "malloc failed after \(allocated) blocks")
    let (snapshot, seconds) = try measureSeconds { try TraceMalloc.takeSnapshot() }
    // Each site is a function of its own: distinct names show each address was resolved.
    let functions = Set(snapshot.traces.compactMap { $0.traceback.last?.function })
    TraceMalloc.stop()
    cw_free_blocks(blocks, sites)
    blocks.deallocate()
    print("addresses=\(sites) functions=\(functions.count) symbolize-seconds=\(seconds)")
}
