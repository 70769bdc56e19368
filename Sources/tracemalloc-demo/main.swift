// tracemalloc-demo: a small program with two obvious allocation sites, to try
// `swift-tracemalloc run` on (see the README):
//
//   swift build -c release
//   .build/release/swift-tracemalloc run --output demo.tm -- .build/release/tracemalloc-demo
//   .build/release/swift-tracemalloc top demo.tm

/// A point of a simulation: one heap object per particle.
final class Particle {
    var position: (x: Double, y: Double, z: Double)
    var velocity: (x: Double, y: Double, z: Double)

    init(seed: Int) {
        position = (Double(seed), 0, 0)
        velocity = (0, Double(seed), 0)
    }
}

/// 1,000 image tiles of 4 KiB each: the biggest site.
@inline(never)
func loadTiles() -> [[UInt8]] {
    (0..<1_000).map { tile in [UInt8](repeating: UInt8(tile & 0xff), count: 4_096) }
}

/// 10,000 small objects: the site with the most blocks.
@inline(never)
func spawnParticles() -> [Particle] {
    (0..<10_000).map { Particle(seed: $0) }
}

let tiles = loadTiles()
let particles = spawnParticles()
// Using the results keeps the optimizer from deleting the allocations.
print("\(tiles.count) tiles, \(particles.count) particles, checksum \(tiles[999][0] + UInt8(particles.count % 7))")
