import CTraceMalloc
import Glibc

extension Symbolizer {
    /// Why an image's file cannot be used to symbolise its addresses.
    struct UnusableImage: Error {
        var reason: String
    }
}

/// GNU build ids, which tell whether the file at an image's path is still the file that was
/// loaded: neither the `Runtime` module nor llvm-symbolizer says what a file's build id is. A
/// small reader of an ELF file's program headers; the notes themselves are parsed by the C
/// core's `tm_gnu_build_id`, which parses the loaded images' notes too.
extension Image {
    /// Checks that the file at `path` is the one the process loaded.
    ///
    /// - Throws: `Symbolizer.UnusableImage` if the file cannot be read, its build id is not the
    ///   recorded one, or the recorded addresses are inconsistent.
    func checkFile() throws(Symbolizer.UnusableImage) {
        guard bias <= start, start < end else {
            throw Symbolizer.UnusableImage(
                reason: "its recorded load bias and address range do not fit together")
        }
        let fileBuildID = try Self.gnuBuildID(ofFileAt: path)
        if let buildID, buildID != fileBuildID {
            let ids = "\(Self.hex(fileBuildID)), the process loaded \(Self.hex(buildID))"
            throw Symbolizer.UnusableImage(reason: "the file's build id is \(ids)")
        }
    }

    private static func hex(_ buildID: [UInt8]?) -> String {
        guard let buildID else {
            return "missing"
        }
        return buildID.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The GNU build id of the ELF file at `path`, read from its note segments.
    ///
    /// - Parameter path: The file.
    /// - Returns: The build id, or nil if the file has none.
    /// - Throws: `Symbolizer.UnusableImage` if the file cannot be opened or is not a 64-bit
    ///   ELF file.
    static func gnuBuildID(ofFileAt path: String) throws(Symbolizer.UnusableImage) -> [UInt8]? {
        let file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else {
            throw Symbolizer.UnusableImage(
                reason: "cannot open it (\(String(cString: strerror(errno))))")
        }
        defer { close(file) }
        func read(_ count: Int, at offset: UInt64) throws(Symbolizer.UnusableImage) -> [UInt8] {
            // A note segment is a few hundred bytes; a larger one is a corrupt header.
            guard count <= 1 << 20, let offset = off_t(exactly: offset) else {
                throw Symbolizer.UnusableImage(reason: "it is not a 64-bit ELF file")
            }
            var bytes = [UInt8](repeating: 0, count: count)
            let read = bytes.withUnsafeMutableBytes { pread(file, $0.baseAddress, count, offset) }
            guard read == count else {
                throw Symbolizer.UnusableImage(reason: "it is not a 64-bit ELF file")
            }
            return bytes
        }
        let identity = try read(MemoryLayout<Elf64_Ehdr>.size, at: 0)
        guard identity.starts(with: [0x7f, 0x45, 0x4c, 0x46]),
            identity[Int(EI_CLASS)] == UInt8(ELFCLASS64)
        else {
            throw Symbolizer.UnusableImage(reason: "it is not a 64-bit ELF file")
        }
        let header = identity.withUnsafeBytes { $0.loadUnaligned(as: Elf64_Ehdr.self) }
        for index in 0..<UInt64(header.e_phnum) {
            let entry = header.e_phoff + index * UInt64(header.e_phentsize)
            let segment = try read(MemoryLayout<Elf64_Phdr>.size, at: entry)
                .withUnsafeBytes { $0.loadUnaligned(as: Elf64_Phdr.self) }
            guard segment.p_type == UInt32(PT_NOTE) else {
                continue
            }
            let notes = try read(Int(clamping: segment.p_filesz), at: segment.p_offset)
            var buildID = [UInt8](repeating: 0, count: 32)
            let size = notes.withUnsafeBytes { notes in
                tm_gnu_build_id(notes.baseAddress, notes.count, Int(clamping: segment.p_align), &buildID)
            }
            if size > 0 {
                return Array(buildID.prefix(Int(size)))
            }
        }
        return nil
    }
}
