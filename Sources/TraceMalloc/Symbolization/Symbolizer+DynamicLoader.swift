import Glibc

extension Symbolizer {
    /// The objects the dynamic loader has loaded in this process, from glibc's
    /// `dl_iterate_phdr`.
    ///
    /// Swift's Glibc module is built without `_GNU_SOURCE`, so it has neither
    /// `dl_iterate_phdr` nor `struct dl_phdr_info`: the function is found with `dlsym` and the
    /// structure read at the offsets of glibc's LP64 ABI, which cannot change.
    enum DynamicLoader {
        /// One loaded object, as `struct dl_phdr_info` describes it.
        struct Object {
            /// `dlpi_addr`: the load bias.
            var bias: UInt
            /// `dlpi_name`: the path; "" for the main program, a bare soname for the vDSO.
            var name: String
            /// `dlpi_phdr` and `dlpi_phnum`: the program headers, in memory.
            var programHeaders: UnsafeBufferPointer<Elf64_Phdr>
            /// `dlpi_adds` and `dlpi_subs`: how many objects were ever loaded and unloaded.
            var generation: LoaderGeneration
        }

        private typealias Callback =
            @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Int32
        private typealias IteratePhdr = @convention(c) (Callback, UnsafeMutableRawPointer?) -> Int32

        private static let iteratePhdr: IteratePhdr = {
            let process = dlopen(nil, RTLD_NOW)
            guard let symbol = dlsym(process, "dl_iterate_phdr") else {
                preconditionFailure("glibc always exports dl_iterate_phdr")
            }
            return unsafeBitCast(symbol, to: IteratePhdr.self)
        }()

        /// Calls `body` for each loaded object, under the loader's lock, until it returns false.
        static func forEachObject(_ body: (Object) -> Bool) {
            withoutActuallyEscaping(body) { body in
                var body = body
                withUnsafeMutablePointer(to: &body) { context in
                    _ = iteratePhdr(
                        { info, size, context in
                            guard let info, let context else {
                                return 1
                            }
                            let body = context.load(as: ((Object) -> Bool).self)
                            return body(Object(info, size: size)) ? 0 : 1
                        }, context)
                }
            }
        }
    }
}

extension Symbolizer.DynamicLoader.Object {
    /// Reads `struct dl_phdr_info` at `info`, whose first `size` bytes glibc filled in.
    fileprivate init(_ info: UnsafeMutableRawPointer, size: Int) {
        // Offsets of dlpi_addr, dlpi_name, dlpi_phdr, dlpi_phnum, dlpi_adds, dlpi_subs on LP64.
        precondition(size >= 48, "glibc's dl_phdr_info has had dlpi_adds and dlpi_subs since 2.4")
        let name = info.load(fromByteOffset: 8, as: UnsafePointer<CChar>?.self)
        self.init(
            bias: info.load(fromByteOffset: 0, as: UInt.self),
            name: name.map { String(cString: $0) } ?? "",
            programHeaders: UnsafeBufferPointer(
                start: info.load(fromByteOffset: 16, as: UnsafePointer<Elf64_Phdr>?.self),
                count: Int(info.load(fromByteOffset: 24, as: UInt16.self))
            ),
            generation: Symbolizer.LoaderGeneration(
                adds: info.load(fromByteOffset: 32, as: UInt64.self),
                subs: info.load(fromByteOffset: 40, as: UInt64.self)
            )
        )
    }
}
