@_spi(Internal) internal import Runtime

extension Symbolizer {
    /// The toolchain's `Runtime` module: its Swift demangler, and its ELF and DWARF readers for
    /// when no llvm-symbolizer is found. It needs nothing installed, but runs all of an image's
    /// line-number programs for each address, so large debug images symbolise slowly.
    enum RuntimeModule {
        /// The frames at `returnAddress` in `image`, most recent (innermost inlined) first.
        static func frames(returnAddress: UInt, in image: Image) -> [ResolvedFrame] {
            let noSymbol = [
                ResolvedFrame(
                    rawName: nil, function: nil, sourcePath: nil, line: 0, image: image.path)
            ]
            guard let map = imageMap(of: image) else {
                return noSymbol
            }
            let backtrace = Backtrace(
                architecture: architecture,
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
            return frames.isEmpty ? noSymbol : frames
        }

        /// `rawName` demangled the way Swift's backtracer shows it (`Node.init(value:)`, without
        /// module or types); a name that is not mangled comes back as it is.
        static func demangle(_ rawName: String) -> String {
            SymbolicatedBacktrace.Symbol(
                imageIndex: 0, imageName: "", rawName: rawName, offset: 0, sourceLocation: nil
            ).name
        }

        /// Only a label in the module's descriptions; symbolisation does not use it.
        #if arch(arm64)
        private static let architecture = "arm64"
        #else
        private static let architecture = "x86_64"
        #endif

        /// `image` alone as the module's `ImageMap`, or nil if the module does not read back
        /// what was written for it (a toolchain whose format differs).
        ///
        /// One image per map: the module finds images by binary search, which images that
        /// overlap (a non-PIE executable at bias 0) would mislead.
        private static func imageMap(of image: Image) -> ImageMap? {
            guard let map = ImageMap(compactImageMapData: compactImageMap(of: image)),
                map.count == 1, map[0].path == image.path,
                UInt(map[0].baseAddress) == image.bias, UInt(map[0].endOfText) == image.end
            else {
                return nil
            }
            return map
        }

        /// `image` in the module's compact image-map format, version 0 as Swift 6.3 writes it:
        /// `ImageMap` has no public initializer, and this format is how the module itself
        /// stores and decodes maps (`Backtrace: Codable`). Only the plain forms are written:
        /// absolute 8-byte addresses, and the path as literal chunks.
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
    }
}
