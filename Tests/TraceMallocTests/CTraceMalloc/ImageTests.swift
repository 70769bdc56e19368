import CTraceMalloc
import Glibc
import Testing

// The C core's image table: which images are the runtime's, and which keep frame pointers
// (read from their unwind tables), with the build ids a raw snapshot file will carry.

/// This process's images, as the C core sees them.
private func images() -> [tm_image] {
    let count = tm_copy_images(nil, 0)
    var images = [tm_image](repeating: tm_image(), count: count + 8)
    let copied = tm_copy_images(&images, images.count)
    return Array(images.prefix(min(copied, images.count)))
}

private func image(named name: String, in images: [tm_image]) throws -> tm_image {
    try #require(images.first { String(cString: $0.path).hasSuffix("/" + name) })
}

@Test func imageTableKnowsWhichImagesKeepFramePointers() throws {
    let images = images()
    let executable = try #require(images.first { String(cString: $0.path).hasSuffix(".xctest") })
    let libc = try image(named: "libc.so.6", in: images)
    let swiftCore = try image(named: "libswiftCore.so", in: images)
    let testing = try image(named: "libTesting.so", in: images)

    #expect(executable.keeps_frame_pointers && !executable.is_runtime)
    #expect(swiftCore.keeps_frame_pointers && swiftCore.is_runtime)
    #expect(!libc.keeps_frame_pointers && libc.is_runtime)
    #expect(!testing.keeps_frame_pointers, "Swift, but built to use %rbp as a register")
    #expect(libc.build_id_size == 20)
    #expect(libc.start < libc.end && libc.bias <= libc.start)
}

@Test func runtimeImagesAreRecognisedByFileName() {
    let runtime = [
        "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2", "libm.so.6",
        "/opt/swift/usr/lib/swift/linux/libswiftCore.so", "libswift_Concurrency.so",
        "libFoundationEssentials.so", "lib_FoundationICU.so", "libdispatch.so",
        "libswiftSwiftOnoneSupport.so", "/tmp/libTraceMallocPreload.so",
    ]
    // A runtime name must end at a '.' or '-': libcrypto is not libc, nor libmylib libm.
    let notRuntime = ["/usr/lib/libcrypto.so.3", "/work/app", "libmylib.so", "libTesting.so"]
    #expect(runtime.filter { !tm_image_is_runtime($0) } == [])
    #expect(notRuntime.filter { tm_image_is_runtime($0) } == [])
}

@Test func imageListHoldsOnlyImagesWithAFileAndFollowsDlopen() throws {
    let before = images()
    let generation = tm_images_generation()
    #expect(before.allSatisfy { $0.path.pointee == UInt8(ascii: "/") }, "the vDSO has no file")
    #expect(!before.contains { String(cString: $0.path).contains("libbz2") })
    #expect(tm_images_generation() == generation, "nothing was loaded")

    let handle = try #require(dlopen("libbz2.so.1.0", RTLD_NOW))
    defer { dlclose(handle) }
    #expect(tm_images_generation() != generation)
    let bz2 = try image(named: "libbz2.so.1.0", in: images())
    #expect(bz2.start < bz2.end && bz2.build_id_size > 0)
}

@Test func gnuBuildIDIsReadFromNotesAndTruncatedNotesGiveNone() {
    // Elf64_Nhdr (namesz 4, descsz 20, type NT_GNU_BUILD_ID = 3), "GNU\0", 20 bytes of id.
    let id = (1...20).map { UInt8($0) }
    let header: [UInt32] = [4, 20, 3]
    var note = header.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } + Array("GNU\0".utf8) + id
    var found = [UInt8](repeating: 0, count: 32)
    #expect(tm_gnu_build_id(note, note.count, 4, &found) == 20)
    #expect(Array(found.prefix(20)) == id)

    note.removeLast()
    #expect(tm_gnu_build_id(note, note.count, 4, &found) == 0, "one byte short")
}
