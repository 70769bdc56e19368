/// A string that equals and hashes by its UTF-8 bytes.
///
/// Swift's `String ==` uses canonical equivalence, but two file names spelled in NFC and NFD are two
/// names (Python compares code points), so snapshot files must keep them apart.
struct ExactString: Hashable {
    var value: String

    init(_ value: String) {
        self.value = value
    }

    static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        lhs.value.utf8.elementsEqual(rhs.value.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var value = value
        value.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
