import CTraceMalloc
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
