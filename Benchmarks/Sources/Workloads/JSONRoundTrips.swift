import Foundation

/// A record of the kind services pass around: strings, numbers, an array and an optional.
private struct Order: Codable {
    var id: Int
    var customer: String
    var items: [String]
    var total: Double
    var paid: Bool
    var note: String?
}

/// Workload (c): `roundTrips` times, encodes 1,000 structs to JSON with Foundation and decodes
/// them back.
func jsonRoundTrips(roundTrips: Int) -> UInt64 {
    var orders = (0..<1_000).map { id in
        Order(
            id: id, customer: "customer-\(id % 97)",
            items: (0..<(id % 5 + 1)).map { "item-\($0 * 31 + id)" },
            total: Double(id) * 1.25, paid: id.isMultiple(of: 2),
            note: id.isMultiple(of: 3) ? nil : "deliver after \(id % 24):00")
    }
    let encoder = JSONEncoder()
    let decoder = JSONDecoder()
    var checksum: UInt64 = 0
    for _ in 0..<roundTrips {
        do {
            let data = try encoder.encode(orders)
            orders = try decoder.decode([Order].self, from: data)
            checksum &+= UInt64(data.count)
        } catch {
            preconditionFailure("JSON round trip of our own data failed: \(error)")
        }
    }
    return checksum
}
