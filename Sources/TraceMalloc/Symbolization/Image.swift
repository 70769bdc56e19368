import CTraceMalloc

/// An executable or shared library as a process loaded it: what is needed to symbolise its
/// addresses later, in this process or another one.
///
/// The C core keeps the one list of a process's images (`tm_copy_images`); the symbolizer reads
/// it for this process, and a raw snapshot file carries it for another.
package struct Image: Hashable, Sendable {
    /// The file the loader mapped.
    package var path: String
    /// The GNU build id of that file, or nil if it has none or none was recorded (then the
    /// file on disk is trusted as it is).
    package var buildID: [UInt8]?
    /// The load bias: a run-time address minus the ELF virtual address it was linked at
    /// (`dl_phdr_info.dlpi_addr`).
    package var bias: UInt
    /// The lowest run-time address of the image's loadable segments.
    package var start: UInt
    /// The address just past its highest loadable segment.
    package var end: UInt

    package init(path: String, buildID: [UInt8]?, bias: UInt, start: UInt, end: UInt) {
        self.path = path
        self.buildID = buildID
        self.bias = bias
        self.start = start
        self.end = end
    }

    /// Whether the image's segments span `address`.
    func contains(_ address: UInt) -> Bool {
        start <= address && address < end
    }
}

extension Image {
    /// The image as the C core recorded it.
    init(_ image: tm_image) {
        let buildID = withUnsafeBytes(of: image.build_id) { Array($0.prefix(Int(image.build_id_size))) }
        self.init(
            path: String(cString: image.path), buildID: buildID.isEmpty ? nil : buildID,
            bias: image.bias, start: image.start, end: image.end)
    }

    /// The images loaded in this process now, from the C core's list. The vDSO is left out:
    /// it has no file to read symbols from.
    static func loadedInCurrentProcess() -> [Self] {
        var capacity = tm_copy_images(nil, 0)
        while true {
            var images = [tm_image](repeating: tm_image(), count: capacity)
            let count = images.withUnsafeMutableBufferPointer { tm_copy_images($0.baseAddress, $0.count) }
            guard count > capacity else {
                return images.prefix(count).map(Self.init)
            }
            capacity = count  // a library was loaded between the two calls
        }
    }
}
