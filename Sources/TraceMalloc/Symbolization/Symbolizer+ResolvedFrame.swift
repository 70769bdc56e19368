import CTraceMalloc

extension Symbolizer {
    /// A frame, and whether it belongs to the machinery between the caller's code and the
    /// allocation: the runtime, code from the standard library, or the tracer itself.
    struct ResolvedFrame: Sendable {
        var frame: Frame
        /// Whether `traceback` drops the frame when it is at the top of the stack.
        var isMachinery: Bool
        /// Whether the code is the runtime's allocator of class instances, `swift_allocObject`.
        var isObjectAllocator = false
        /// Whether the code is a class's allocating initializer, which `traceback` drops when
        /// it called the runtime's allocator itself.
        var isAllocatingInitializer = false

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
            isObjectAllocator = rawName == "swift_allocObject"
            let symbol = rawName.flatMap { verdicts.swiftSymbol($0) }
            isAllocatingInitializer = symbol?.isAllocatingInitializer ?? false
            isMachinery =
                verdicts.isRuntimeImage(image)
                || sourcePath.map { line == 0 || verdicts.isMachinerySource($0) } ?? false
                || rawName.map(Self.isTracerSymbol) ?? false
                || symbol?.isFromRuntimeModule ?? false
        }

        /// A frame the symbol tables and DWARF describe, with nothing known beforehand.
        init(rawName: String?, function: String?, sourcePath: String?, line: Int, image: String) {
            var verdicts = Verdicts()
            self.init(
                rawName: rawName, function: function, sourcePath: sourcePath, line: line,
                image: image, verdicts: &verdicts)
        }

        /// Whether images and source files are the machinery's, and what Swift symbols say,
        /// remembered: a snapshot has many frames but few images, files and functions, and
        /// telling means comparing strings.
        struct Verdicts {
            private var runtimeImages: [String: Bool] = [:]
            private var machinerySources: [String: Bool] = [:]
            private var swiftSymbols: [String: SwiftSymbol?] = [:]

            mutating func swiftSymbol(_ rawName: String) -> SwiftSymbol? {
                Self.remembered(rawName, in: &swiftSymbols, SwiftSymbol.init(rawName:))
            }

            mutating func isRuntimeImage(_ path: String) -> Bool {
                Self.remembered(path, in: &runtimeImages, ResolvedFrame.isRuntimeImage)
            }

            mutating func isMachinerySource(_ path: String) -> Bool {
                Self.remembered(path, in: &machinerySources, ResolvedFrame.isMachinerySource)
            }

            /// `known[key]`, computed by `tell` the first time (a nil answer is remembered too).
            private static func remembered<Verdict>(
                _ key: String, in known: inout [String: Verdict], _ tell: (String) -> Verdict
            ) -> Verdict {
                if let verdict = known[key] {
                    return verdict
                }
                let verdict = tell(key)
                known[key] = verdict
                return verdict
            }
        }

        private init(frame: Frame, isMachinery: Bool) {
            self.frame = frame
            self.isMachinery = isMachinery
        }

        /// Whether this frame is a class's allocating initializer that called the allocator
        /// itself: `below` is the frame it called, `swift_allocObject`. It is only the
        /// compiler's wrapper around the allocation and the initializer, and whatever line
        /// DWARF gives it (0, the class's, or, inlined, a line of the function it was inlined
        /// into) is not the call: its caller's frame is. A convenience initializer calls an
        /// initializer, and code in its body calls other functions: those lines are the user's.
        func isAllocatingInitializer(calling below: ResolvedFrame) -> Bool {
            isAllocatingInitializer && below.isObjectAllocator
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
        /// show. Code of the standard library's and core libraries' modules is the machinery's
        /// whatever its source says (`SwiftSymbol.isFromRuntimeModule`): specialised into the
        /// caller's image it may have no line, or one of the caller's.
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

        /// The functions the C core interposes (`TM_HOOKS`), by name.
        private static let hookedFunctions: Set<String> = {
            var names: Set<String> = []
            var index = 0
            while let name = tm_hook_name(index) {
                names.insert(String(cString: name))
                index += 1
            }
            return names
        }()
    }
}
