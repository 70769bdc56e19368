import Glibc

extension Symbolizer {
    /// What a Swift symbol's full demangled name tells about its code: which module defines it,
    /// and whether it is a class's allocating initializer.
    ///
    /// DWARF's file and line are not enough to tell the standard library's code from the
    /// caller's: a generic specialisation compiled into the caller's image may have no line
    /// information at all, or carry a line of the function it was inlined into. The name
    /// does not lie: `generic specialization <Swift.Int> of Swift.Array.init(repeating:…)`
    /// is the standard library's wherever it was compiled.
    struct SwiftSymbol: Equatable {
        /// The full demangling, with modules and types (`Swift.Array.append(…) -> ()`).
        let demangled: String

        /// - Parameter rawName: A symbol as the image names it.
        /// - Returns: nil when `rawName` is not a mangled Swift name.
        init?(rawName: String) {
            guard rawName.hasPrefix("$s") || rawName.hasPrefix("$S") || rawName.hasPrefix("_T0"),
                let demangled = Self.fullyDemangled(rawName), demangled != rawName
            else {
                return nil
            }
            self.demangled = demangled
        }

        /// The module whose source declares the code: the generic function a specialisation was
        /// made from, the function a closure is written in, and for a declaration in an
        /// extension, the extension's module (`extension Array` in the caller's module is the
        /// caller's code). nil when the name has a form this does not read.
        var definingModule: Substring? {
            var entity = Self.strippingWrappers(demangled[...])
            // A closure's text is `closure #1 (signature) in <the function it is in>`.
            while Self.closurePrefixes.contains(where: entity.hasPrefix) {
                guard let separator = Self.topLevelRange(of: " in ", in: entity) else {
                    return nil
                }
                entity = Self.strippingWrappers(entity[separator.upperBound...])
            }
            if entity.hasPrefix("(extension in ") {
                let module = entity.dropFirst("(extension in ".count)
                return module.firstIndex(of: ")").map { module[..<$0] }
            }
            guard let dot = entity.firstIndex(of: "."),
                entity[..<dot].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            else {
                return nil
            }
            return entity[..<dot]
        }

        /// Whether the module that declares the code is the standard library's or a core
        /// library's: the Swift modules of the runtime images.
        var isFromRuntimeModule: Bool {
            definingModule.map(Self.runtimeModules.contains) ?? false
        }

        /// Whether the code is a class's allocating initializer (`__allocating_init`, the entry
        /// point that calls `swift_allocObject` and then the initializer). A structure's
        /// initializer is printed `init`, and a closure in an initializer is a closure.
        var isAllocatingInitializer: Bool {
            let entity = Self.strippingWrappers(demangled[...])
            return !Self.closurePrefixes.contains(where: entity.hasPrefix)
                && entity.contains(".__allocating_init(")
        }

        /// The Swift modules of the images `tm_image_is_runtime` names.
        private static let runtimeModules: Set<Substring> = [
            "Swift", "_Concurrency", "Synchronization", "_StringProcessing", "_RegexParser",
            "Dispatch", "SwiftOnoneSupport", "Foundation", "FoundationEssentials",
            "FoundationInternationalization", "FoundationNetworking", "FoundationXML",
        ]

        private static let closurePrefixes = ["closure #", "implicit closure #"]

        /// `text` without the demangler's words for code made from another declaration
        /// (`generic specialization <…> of `, `merged `) or for its kind (`static `).
        private static func strippingWrappers(_ text: Substring) -> Substring {
            var text = text
            while true {
                if let prefix = ["static ", "merged "].first(where: text.hasPrefix) {
                    text = text.dropFirst(prefix.count)
                    continue
                }
                // generic, function signature, generic partial… specialization <arguments> of
                guard let opening = text.range(of: "specialization <"),
                    text[..<opening.lowerBound].allSatisfy({ $0.isLetter || " -".contains($0) }),
                    let arguments = topLevelRange(of: "> of ", in: text[opening.upperBound...])
                else {
                    return text
                }
                text = text[arguments.upperBound...]
            }
        }

        /// The first occurrence of `separator` outside brackets, parentheses and angle
        /// brackets (the `>` of a function type's `->` closes nothing).
        private static func topLevelRange(
            of separator: String, in text: Substring
        ) -> Range<Substring.Index>? {
            var depth = 0
            var previous: Character = " "
            var index = text.startIndex
            while index < text.endIndex {
                let character = text[index]
                if depth == 0, text[index...].hasPrefix(separator) {
                    return index..<text.index(index, offsetBy: separator.count)
                }
                switch character {
                case "(", "[", "<":
                    depth += 1
                case ")", "]":
                    depth -= 1
                case ">" where previous != "-":
                    depth -= 1
                default:
                    break
                }
                previous = character
                index = text.index(after: index)
            }
            return nil
        }

        /// The runtime's demangler, which prints modules and types (the `Runtime` module's
        /// prints neither). A name it cannot read comes back as it is.
        private static func fullyDemangled(_ rawName: String) -> String? {
            rawName.withCString { name in
                guard let text = swiftDemangle(name, strlen(name), nil, nil, 0) else {
                    return nil
                }
                defer { free(text) }
                return String(cString: text)
            }
        }
    }
}

/// libswiftCore's demangler: a malloc'd full demangling, or nil when `mangledName` is not one.
@_silgen_name("swift_demangle")
private func swiftDemangle(
    _ mangledName: UnsafePointer<CChar>, _ mangledNameLength: Int,
    _ outputBuffer: UnsafeMutablePointer<CChar>?, _ outputBufferSize: UnsafeMutablePointer<Int>?,
    _ flags: UInt32
) -> UnsafeMutablePointer<CChar>?
