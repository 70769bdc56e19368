@_spi(Internal) internal import Runtime

extension Symbolizer {
    /// Why an image's file cannot be used to symbolise its addresses.
    struct UnusableImage: Error {
        var reason: String
    }

    /// An image whose file was checked, symbolised by the toolchain's `Runtime` module: its ELF
    /// symbol tables, DWARF line tables and inlined-call records, and the Swift demangler.
    struct RuntimeImage: Sendable {
        let image: Image
        /// The image alone, as the `Runtime` module's map. One image per map: the module
        /// finds images by binary search, which images that overlap (a non-PIE executable
        /// at bias 0) would mislead.
        private let map: ImageMap

        /// Checks that the file at `image.path` is the one the process loaded.
        ///
        /// - Throws: `UnusableImage` if the file cannot be read, its build id is not the
        ///   recorded one, or the recorded addresses are inconsistent.
        init(checking image: Image) throws(UnusableImage) {
            guard image.bias <= image.start, image.start < image.end else {
                throw UnusableImage(reason: "its recorded load bias and address range do not fit together")
            }
            let fileBuildID = try Image.gnuBuildID(ofFileAt: image.path)
            if let recorded = image.buildID, recorded != fileBuildID {
                throw UnusableImage(reason:
                    "the file's build id is \(Self.hex(fileBuildID)), the process loaded \(Self.hex(recorded))")
            }
            // Read back what was written, so that a toolchain whose format differs makes every
            // image unusable, with a warning, rather than misplaced.
            guard let map = ImageMap(compactImageMapData: Self.compactImageMap(of: image)),
                map.count == 1, map[0].path == image.path,
                UInt(map[0].baseAddress) == image.bias, UInt(map[0].endOfText) == image.end
            else {
                throw UnusableImage(reason: "the Runtime module does not read the image map written for it")
            }
            self.image = image
            self.map = map
        }

        /// The frames at `returnAddress`, most recent (innermost inlined) first.
        func frames(returnAddress: UInt) -> [ResolvedFrame] {
            let backtrace = Backtrace(
                architecture: Self.architecture,
                frames: [RichFrame<UInt64>.returnAddress(UInt64(returnAddress))],
                images: map
            )
            let symbolicated = backtrace.symbolicated(
                with: map, options: [.showInlineFrames, .showSourceLocations])
            let frames = (symbolicated?.frames ?? []).compactMap { frame in
                frame.symbol.map { symbol in
                    let rawName = symbol.rawName == "<unknown>" ? nil : symbol.rawName
                    return ResolvedFrame(
                        rawName: rawName,
                        function: rawName.map { _ in symbol.name },
                        sourcePath: symbol.sourceLocation?.path,
                        line: symbol.sourceLocation?.line ?? 0,
                        image: image.path
                    )
                }
            }
            return frames.isEmpty ? [.unknown(image: image.path)] : frames
        }

        /// Only a label in the `Runtime` module's descriptions; symbolisation does not use it.
        #if arch(arm64)
        private static let architecture = "arm64"
        #else
        private static let architecture = "x86_64"
        #endif

        /// `image` in the `Runtime` module's compact image-map format, version 0 as Swift 6.3
        /// writes it: `ImageMap` has no public initializer, and this format is how the module
        /// itself stores and decodes maps (`Backtrace: Codable`). Only the plain forms are
        /// written: absolute 8-byte addresses, and the path as literal chunks.
        private static func compactImageMap(of image: Image) -> [UInt8] {
            var bytes: [UInt8] = [0x02]  // version 0, 64-bit words
            let platform = "Linux".utf8  // only a label, shown in the module's descriptions
            appendCount(platform.count, to: &bytes)
            bytes += platform
            appendCount(1, to: &bytes)
            bytes.append(0x3f)  // an absolute base address, then 8 bytes each for it and the size
            bytes += bigEndianBytes(UInt64(image.bias))
            bytes += bigEndianBytes(UInt64(image.end - image.bias))
            appendCount(image.buildID?.count ?? 0, to: &bytes)
            bytes += image.buildID ?? []
            var path = image.path.utf8[...]
            while !path.isEmpty {
                let chunk = path.prefix(0x3f)  // a literal chunk holds 1...63 bytes
                bytes.append(UInt8(chunk.count))
                bytes += chunk
                path = path.dropFirst(chunk.count)
            }
            bytes.append(0x00)  // end of path
            return bytes
        }

        /// Appends `count` as 7-bit groups, most significant first, all but the last flagged.
        private static func appendCount(_ count: Int, to bytes: inout [UInt8]) {
            var shift = (Int.bitWidth - count.leadingZeroBitCount) / 7 * 7
            while shift > 0 {
                bytes.append(0x80 | UInt8(truncatingIfNeeded: count >> shift) & 0x7f)
                shift -= 7
            }
            bytes.append(UInt8(truncatingIfNeeded: count) & 0x7f)
        }

        private static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
            (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }

        private static func hex(_ buildID: [UInt8]?) -> String {
            guard let buildID else {
                return "missing"
            }
            return buildID.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
    }
}
