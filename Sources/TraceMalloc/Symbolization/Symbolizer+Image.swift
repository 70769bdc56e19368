import Glibc

extension Symbolizer {
    /// An executable or shared library as a process loaded it: what is needed to symbolise its
    /// addresses later, in this process or another one.
    struct Image: Hashable, Sendable {
        /// The file the loader mapped.
        var path: String
        /// The GNU build id of that file, or nil if it has none or none was recorded (then the
        /// file on disk is trusted as it is).
        var buildID: [UInt8]?
        /// The load bias: a run-time address minus the ELF virtual address it was linked at
        /// (`dl_phdr_info.dlpi_addr`).
        var bias: UInt
        /// The lowest run-time address of the image's loadable segments.
        var start: UInt
        /// The address just past its highest loadable segment.
        var end: UInt

        /// Whether the image's segments span `address`.
        func contains(_ address: UInt) -> Bool {
            start <= address && address < end
        }
    }

    /// How many times the dynamic loader has loaded and unloaded an object in this process:
    /// when these have not moved, the list of images has not changed.
    struct LoaderGeneration: Equatable {
        var adds: UInt64
        var subs: UInt64

        static var current: LoaderGeneration {
            var generation = LoaderGeneration(adds: 0, subs: 0)
            Symbolizer.DynamicLoader.forEachObject { object in
                generation = object.generation
                return false  // every object reports the same counters: the first is enough
            }
            return generation
        }
    }
}

extension Symbolizer.Image {
    /// The images loaded in this process now, with the build ids read from their notes in
    /// memory. The vDSO is left out: it has no file to read symbols from.
    static func loadedInCurrentProcess() -> [Self] {
        var images: [Self] = []
        Symbolizer.DynamicLoader.forEachObject { object in
            if let image = Self(object) {
                images.append(image)
            }
            return true
        }
        return images
    }

    /// The image of a loaded object, or nil for one without a file (the vDSO).
    private init?(_ object: Symbolizer.DynamicLoader.Object) {
        // The loader names the main program "" and the vDSO by a bare soname.
        guard object.name.isEmpty || object.name.contains("/"),
            let path = object.name.isEmpty ? Self.executablePath : object.name
        else {
            return nil
        }
        var start = UInt.max
        var end = UInt.min
        var buildID: [UInt8]?
        for header in object.programHeaders {
            let segment = object.bias + UInt(header.p_vaddr)
            switch header.p_type {
            case UInt32(PT_LOAD):
                start = min(start, segment)
                end = max(end, segment + UInt(header.p_memsz))
            case UInt32(PT_NOTE) where buildID == nil:
                let notes = UnsafeRawBufferPointer(
                    start: UnsafeRawPointer(bitPattern: segment), count: Int(header.p_memsz))
                buildID = Self.gnuBuildID(inNotes: notes, alignment: Int(header.p_align))
            default:
                break
            }
        }
        guard start < end else {
            return nil
        }
        self.init(path: path, buildID: buildID, bias: object.bias, start: start, end: end)
    }

    /// The path of this process's executable.
    private static var executablePath: String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else {
            return nil
        }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
