import Glibc

extension Symbolizer {
    /// Why an image's file cannot be used to symbolise its addresses.
    struct UnusableImage: Error {
        var reason: String
    }
}

/// GNU build ids, which tell whether the file at an image's path is still the file that was
/// loaded. A small reader of ELF notes: neither the `Runtime` module nor llvm-symbolizer says
/// what a file's build id is.
extension Symbolizer.Image {
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

    /// The GNU build id among the notes of one `PT_NOTE` segment, or nil if none is one.
    ///
    /// - Parameters:
    ///   - notes: The bytes of the segment.
    ///   - alignment: The segment's alignment; each name and descriptor is padded to it
    ///     (4, or 8 for notes such as `.note.gnu.property`).
    static func gnuBuildID(inNotes notes: UnsafeRawBufferPointer, alignment: Int) -> [UInt8]? {
        let padding = alignment == 8 ? 8 : 4
        func padded(_ count: Int) -> Int {
            (count + padding - 1) / padding * padding
        }
        var offset = 0
        while offset + MemoryLayout<Elf64_Nhdr>.size <= notes.count {
            let header = notes.loadUnaligned(fromByteOffset: offset, as: Elf64_Nhdr.self)
            let name = offset + MemoryLayout<Elf64_Nhdr>.size
            let descriptor = name + padded(Int(header.n_namesz))
            guard descriptor + Int(header.n_descsz) <= notes.count else {
                return nil
            }
            if header.n_type == UInt32(NT_GNU_BUILD_ID),
                notes[name..<name + Int(header.n_namesz)].elementsEqual("GNU\0".utf8)
            {
                return Array(notes[descriptor..<descriptor + Int(header.n_descsz)])
            }
            offset = descriptor + padded(Int(header.n_descsz))
        }
        return nil
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
            let buildID = notes.withUnsafeBytes {
                gnuBuildID(inNotes: $0, alignment: Int(segment.p_align))
            }
            if let buildID {
                return buildID
            }
        }
        return nil
    }
}
