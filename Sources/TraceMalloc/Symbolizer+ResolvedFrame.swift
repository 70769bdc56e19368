import CTraceMalloc

extension Symbolizer {
    /// A frame, and whether it belongs to the machinery between the caller's code and the
    /// allocation: the runtime, code from the standard library, or the tracer itself.
    struct ResolvedFrame: Sendable {
        var frame: Frame
        /// Whether `traceback` drops the frame when it is at the top of the stack.
        var isMachinery: Bool

        /// A frame the symbol tables and DWARF describe.
        ///
        /// - Parameters:
        ///   - rawName: The symbol as the image names it (mangled), if known.
        ///   - function: Its demangled name.
        ///   - sourcePath: The source file DWARF gives, if any.
        ///   - line: The line DWARF gives, or 0.
        ///   - image: The path of the image holding the code.
        ///   - verdicts: What is known of images and files, used and added to.
        init(
            rawName: String?, function: String?, sourcePath: String?, line: Int, image: String,
            verdicts: inout Verdicts
        ) {
            if let sourcePath, !sourcePath.isEmpty {
                frame = Frame(
                    filename: Self.filename(sourcePath), lineno: line, function: function,
                    image: image)
            } else {
                // No line information: name the image, as CPython names `<unknown>` with line 0.
                frame = Frame(filename: image, lineno: 0, function: function, image: image)
            }
            isMachinery =
                verdicts.isRuntimeImage(image)
                || sourcePath.map { line == 0 || verdicts.isMachinerySource($0) } ?? false
                || rawName.map(Self.isTracerSymbol) ?? false
        }

        /// A frame the symbol tables and DWARF describe, with nothing known beforehand.
        init(rawName: String?, function: String?, sourcePath: String?, line: Int, image: String) {
            var verdicts = Verdicts()
            self.init(
                rawName: rawName, function: function, sourcePath: sourcePath, line: line,
                image: image, verdicts: &verdicts)
        }

        /// Whether images and source files are the machinery's, remembered: a snapshot has
        /// many frames but few images and files, and telling means comparing strings.
        struct Verdicts {
            private var runtimeImages: [String: Bool] = [:]
            private var machinerySources: [String: Bool] = [:]

            mutating func isRuntimeImage(_ path: String) -> Bool {
                if let verdict = runtimeImages[path] {
                    return verdict
                }
                let verdict = ResolvedFrame.isRuntimeImage(path)
                runtimeImages[path] = verdict
                return verdict
            }

            mutating func isMachinerySource(_ path: String) -> Bool {
                if let verdict = machinerySources[path] {
                    return verdict
                }
                let verdict = ResolvedFrame.isMachinerySource(path)
                machinerySources[path] = verdict
                return verdict
            }
        }

        private init(frame: Frame, isMachinery: Bool) {
            self.frame = frame
            self.isMachinery = isMachinery
        }

        /// A frame nothing is known about, CPython's `<unknown>:0`.
        ///
        /// - Parameter image: The image holding the address, if any.
        static func unknown(image: String?) -> Self {
            Self(frame: Frame(filename: "<unknown>", lineno: 0, image: image), isMachinery: false)
        }

        /// DWARF names synthesised code `//<compiler-generated>` (an empty directory joined to
        /// the pseudo-file); Python's pseudo-files carry no directory either.
        private static func filename(_ sourcePath: String) -> String {
            sourcePath.hasSuffix("/<compiler-generated>") ? "<compiler-generated>" : sourcePath
        }

        /// Whether `path` is an image of the runtime: the C and C++ libraries, the loader, the
        /// Swift runtime and core libraries, and the preloaded tracer. The C core's list, the one
        /// the capture uses to tell which leading frames to store uncounted.
        private static func isRuntimeImage(_ path: String) -> Bool {
            tm_image_is_runtime(path)
        }

        /// Whether source in the file at `path` is the machinery's, though compiled into the
        /// caller's image: code the compiler generated (a macro's expansion too, whose use is
        /// the caller's line), code inlined from the standard library or the core libraries,
        /// or the tracer's C core (whose static helpers have no `tm_` prefix to recognise them
        /// by). Source at line 0 is too, whatever the file: code synthesised for a declaration,
        /// such as an allocating initializer inlined into its caller, whose line is the one to
        /// show.
        private static func isMachinerySource(_ path: String) -> Bool {
            path.hasSuffix("<compiler-generated>")
                || machinerySourceMarkers.contains { path.contains($0) }
        }

        private static let machinerySourceMarkers = [
            "/swift-generated-sources/@__swiftmacro_", "/swift/stdlib/", "/usr/lib/swift/",
            "/swift-corelibs-foundation/", "/swift-foundation/", "/swift-corelibs-libdispatch/",
            "Sources/CTraceMalloc/",
        ]

        /// Whether `rawName` is a function of the tracer: its Swift module (mangled
        /// `$s11TraceMalloc…`), its C API (`tm_…`), or one of its malloc hooks, which carry
        /// libc's names but live in the traced program's image when linked in.
        private static func isTracerSymbol(_ rawName: String) -> Bool {
            rawName.hasPrefix("$s11TraceMalloc") || rawName.hasPrefix("tm_")
                || hookedFunctions.contains(rawName)
        }

        private static let hookedFunctions: Set = [
            "malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc", "memalign",
            "valloc", "pvalloc", "malloc_usable_size", "reallocarray",
        ]
    }
}
