/// Workload (d): builds `keys` strings by interpolation and appending, and churns a dictionary
/// keyed by them (insert, update, remove), as parsers and caches do.
func stringChurn(keys: Int) -> UInt64 {
    var table: [String: [Int]] = [:]
    var log = ""
    var checksum: UInt64 = 0
    for index in 0..<keys {
        let key = "user-\(index % 50_000)/session-\(index % 7)"
        table[key, default: []].append(index)
        if index % 3 == 0 {
            table.removeValue(forKey: "user-\((index / 2) % 50_000)/session-\(index % 7)")
        }
        log += key.uppercased()
        if log.utf8.count > 4_096 {
            checksum &+= UInt64(log.utf8.count)
            log = ""
        }
    }
    return checksum &+ UInt64(table.count)
}
