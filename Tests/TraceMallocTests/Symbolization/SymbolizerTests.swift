import CTraceMalloc
import Glibc
import Runtime
import Testing
@testable import TraceMalloc

// Real stacks, captured with the Runtime module, symbolised by the symbolizer under test.

/// The return addresses of `backtrace`, most recent first.
private func returnAddresses(of backtrace: Backtrace) -> [UInt] {
    backtrace.frames.compactMap { frame in
        guard case .returnAddress(let address) = frame else {
            return nil
        }
        return UInt(address)
    }
}

/// A call site in this file: the stack captured on `line`, most recent first.
@inline(never)
private func captureStack() throws -> (addresses: [UInt], line: Int) {
    let line = #line + 1
    let backtrace = try Backtrace.capture()
    return (returnAddresses(of: backtrace), line)
}

@inline(__always)
private func inlinedCapture() throws -> (addresses: [UInt], line: Int) {
    let line = #line + 1
    let backtrace = try Backtrace.capture()
    return (returnAddresses(of: backtrace), line)
}

@inline(never)
private func callerOfInlinedCapture() throws -> (addresses: [UInt], helperLine: Int, line: Int) {
    let line = #line + 1
    let capture = try inlinedCapture()
    return (capture.addresses, capture.line, line)
}

/// A return address just after the first byte of libc's `strdup`: looking it up finds `strdup`.
private func addressInLibc() throws -> UInt {
    let symbol = try #require(dlsym(dlopen(nil, RTLD_NOW), "strdup"))
    return UInt(bitPattern: symbol) + 1
}

/// `filename:lineno`, what Python prints for a frame and what frames are compared by.
private func locations(_ frames: some Sequence<Frame>) -> [String] {
    frames.map { "\($0.filename):\($0.lineno)" }
}

/// Which reader of debug information a symbolizer uses.
enum LLVMSymbolizerChoice: CustomStringConvertible {
    /// The toolchain's llvm-symbolizer, which the tests require.
    case found
    /// None: the Runtime module reads the debug information.
    case none

    var path: String? {
        get throws {
            guard self == .found else {
                return nil
            }
            let path: String = try #require(Symbolizer.LLVMSymbolizer.defaultPath, "none found")
            return path
        }
    }

    var description: String {
        switch self {
        case .found: "llvm-symbolizer"
        case .none: "Runtime module"
        }
    }
}

private func image(named name: String) throws -> Image {
    try #require(Symbolizer.currentProcess.images.first { $0.path.hasSuffix("/" + name) })
}

/// The image of this test program, which holds `address`.
private func image(holding address: UInt) throws -> Image {
    try #require(Symbolizer.currentProcess.images.first { $0.contains(address) })
}

@Test func returnAddressResolvesToThisFileLineAndDemangledFunction() throws {
    let capture = try captureStack()

    let frames = Symbolizer.currentProcess.frames(returnAddress: capture.addresses[0])

    let frame = try #require(frames.first)

    #expect(frame.filename == #filePath)
    #expect(frame.lineno == capture.line)
    #expect(frame.function?.contains("captureStack()") == true)
    #expect(frame.function?.hasPrefix("$s") == false)
    #expect(frame.image == (try image(holding: capture.addresses[0])).path)
}

@Test func tracebackIsOldestFirstAndKeepsTheLimitMostRecentFrames() throws {
    let callerLine = #line + 1
    let capture = try captureStack()

    let traceback = Symbolizer.currentProcess.traceback(
        returnAddresses: capture.addresses, totalDepth: capture.addresses.count, limit: 2)

    #expect(traceback.frames.map(\.filename) == [#filePath, #filePath])
    #expect(traceback.frames.map(\.lineno) == [callerLine, capture.line])
    // The whole stack was captured: totalNframe counts every frame kept, and the thread's
    // entry frames in runtime images below the program's oldest frame are dropped too.
    let whole = Symbolizer.currentProcess.traceback(
        returnAddresses: capture.addresses, totalDepth: capture.addresses.count, limit: 65535)
    let allFrames = Symbolizer.currentProcess.frames(returnAddresses: capture.addresses).joined()
    #expect(traceback.totalNframe == whole.count)
    #expect(whole.count < allFrames.count)
    #expect(!tm_image_is_runtime(whole.first?.image ?? ""))
}

@Test func totalNframeAddsTheAddressesThatWereNotCaptured() throws {
    let capture = try captureStack()
    let captured = Array(capture.addresses.prefix(2))

    let traceback = Symbolizer.currentProcess.traceback(
        returnAddresses: captured, totalDepth: captured.count + 40, limit: 1)

    let capturedFrames = captured.flatMap { Symbolizer.currentProcess.frames(returnAddress: $0) }
    #expect(traceback.totalNframe == capturedFrames.count + 40)
    #expect(traceback.frames.map(\.lineno) == [capture.line])
}

/// Debug builds do not inline, even `@inline(__always)`: there the helper is a frame of its own
/// address. Optimised builds (`swift test -c release`) inline it, and the one return address
/// must then expand into the helper's frame and the caller's.
@Test func inlinedCallsBecomeFramesOfTheirOwn() throws {
    let (addresses, helperLine, callerLine) = try callerOfInlinedCapture()

    let traceback = Symbolizer.currentProcess.traceback(
        returnAddresses: addresses, totalDepth: addresses.count, limit: 2)

    #expect(traceback.frames.map(\.lineno) == [callerLine, helperLine])
    #expect(traceback.frames.last?.function?.contains("inlinedCapture()") == true)
    #expect(traceback.frames.first?.function?.contains("callerOfInlinedCapture()") == true)
    #if !DEBUG
    let frames = Symbolizer.currentProcess.frames(returnAddress: addresses[0])
    #expect(frames.map(\.lineno) == [helperLine, callerLine])
    #endif
}

/// Whether libc's frames have lines depends on its debug information being installed
/// (libc6-dbg): llvm-symbolizer finds it by build id.
@Test func libcAddressResolvesInTheLibcImage() throws {
    let libc = try image(named: "libc.so.6")

    let frames = Symbolizer.currentProcess.frames(returnAddress: try addressInLibc())

    #expect(frames.count == 1)
    #expect(frames[0].image == libc.path)
    #expect(frames[0].function?.contains("strdup") == true)
}

@Test(arguments: [LLVMSymbolizerChoice.found, .none])
func addressWithoutLineInformationNamesTheImageWithLineZero(_ choice: LLVMSymbolizerChoice) throws {
    let core = try image(named: "libswiftCore.so")
    let symbolizer = Symbolizer(images: [core], llvmSymbolizerPath: try choice.path)
    let symbol = try #require(dlsym(dlopen(nil, RTLD_NOW), "swift_retain"))

    let frames = symbolizer.frames(returnAddress: UInt(bitPattern: symbol) + 1)

    #expect(locations(frames) == ["\(core.path):0"])
    #expect(frames.map(\.function) == ["swift_retain"])
    #expect(frames.map(\.image) == [core.path])
}

@Test func runtimeFramesAboveTheCallersCodeAreDropped() throws {
    let capture = try captureStack()
    let stack = [try addressInLibc()] + capture.addresses

    let dropped = Symbolizer.currentProcess.traceback(
        returnAddresses: stack, totalDepth: stack.count, limit: 1)
    let kept = Symbolizer.currentProcess.traceback(
        returnAddresses: stack, totalDepth: stack.count, limit: 1, keepingRuntimeFrames: true)

    #expect(dropped.frames.map(\.lineno) == [capture.line])
    #expect(dropped.frames.map(\.filename) == [#filePath])
    #expect(kept.frames.map(\.image) == [try image(named: "libc.so.6").path])
    // Kept: libc's frame on top, and the thread's entry in libc at the bottom.
    #expect(kept.totalNframe == dropped.totalNframe.map { $0 + 2 })
}

@Test func stackOfOnlyRuntimeFramesIsKeptWhole() throws {
    let traceback = Symbolizer.currentProcess.traceback(
        returnAddresses: [try addressInLibc()], totalDepth: 1, limit: 5)

    #expect(traceback.frames.map(\.image) == [try image(named: "libc.so.6").path])
    #expect(traceback.totalNframe == 1)
}

/// libbz2 is stripped to its dynamic symbols: the frame names the image, with line 0.
@Test func libraryLoadedAfterTheFirstLookUpIsFound() throws {
    _ = Symbolizer.currentProcess.frames(returnAddress: try addressInLibc())
    try #require(dlopen("libbz2.so.1.0", RTLD_NOW | RTLD_NOLOAD) == nil, "libbz2 is already loaded")
    let library = try #require(dlopen("libbz2.so.1.0", RTLD_NOW))
    let symbol = try #require(dlsym(library, "BZ2_bzCompress"))

    let frames = Symbolizer.currentProcess.frames(returnAddress: UInt(bitPattern: symbol) + 1)

    let path = try #require(frames.first?.image)
    #expect(path.hasSuffix("/libbz2.so.1.0"))
    #expect(locations(frames) == ["\(path):0"])
}

@Test func concurrentLookUpsAgree() async throws {
    let capture = try captureStack()
    let symbolizer = Symbolizer(images: Symbolizer.currentProcess.images)

    let results = await withTaskGroup(of: [String].self) { group in
        for _ in 0..<8 {
            group.addTask {
                locations(capture.addresses.flatMap { symbolizer.frames(returnAddress: $0) })
            }
        }
        return await group.reduce(into: []) { $0.append($1) }
    }

    #expect(Set(results).count == 1)
    #expect(results.first?.first == "\(#filePath):\(capture.line)")
}

@Test func emptyStackIsTheUnknownFrame() {
    let traceback = Symbolizer.currentProcess.traceback(
        returnAddresses: [UInt](), totalDepth: 0, limit: 5)

    #expect(locations(traceback.frames) == ["<unknown>:0"])
    #expect(traceback.totalNframe == 1)
}

@Test func addressInNoImageIsUnknown() {
    let frames = Symbolizer.currentProcess.frames(returnAddress: 0x10)

    #expect(frames.map(\.filename) == ["<unknown>"])
    #expect(frames.map(\.lineno) == [0])
    #expect(frames[0].image == nil)
}

@Test func machineryIsRecognisedByImageSourceAndSymbol() {
    let program = "/work/app/.build/debug/app"
    func isMachinery(_ rawName: String?, _ source: String?, _ line: Int, _ image: String = program)
        -> Bool {
        Symbolizer.ResolvedFrame(
            rawName: rawName, function: nil, sourcePath: source, line: line, image: image
        ).isMachinery
    }
    let libswiftCore = "/opt/swift/usr/lib/swift/linux/libswiftCore.so"
    let app = "/work/app/Sources/app"

    #expect(isMachinery("swift_allocObject", nil, 0, libswiftCore))
    #expect(isMachinery("malloc", nil, 0, "/usr/lib/x86_64-linux-gnu/libc.so.6"))
    let ononeSupport = "/opt/swift/usr/lib/swift/linux/libswiftSwiftOnoneSupport.so"
    #expect(isMachinery("$sSa9repeating5countSayxGx_SitcfCSi_Tgm5", nil, 0, ononeSupport))
    #expect(isMachinery("malloc", "Sources/CTraceMalloc/hooks.c", 40))
    #expect(isMachinery("record_allocation", "Sources/CTraceMalloc/hooks.c", 80))
    #expect(isMachinery("tm_start", nil, 0))
    #expect(isMachinery("$s11TraceMalloc0aB0O5startyySiKFZ", "/w/Sources/TraceMalloc/T.swift", 9))
    #expect(isMachinery("$sSa6appendyyxnF", "//<compiler-generated>", 0))
    let expansion = "/tmp/swift-generated-sources/@__swiftmacro_3app4main1_.swift"
    #expect(isMachinery("$s3app4mainyyFfA_", expansion, 1))
    #expect(isMachinery("$s3app4NodeC5valueACSi_tcfC", "\(app)/Node.swift", 0))
    #expect(!isMachinery("$s16TraceMallocTests4mainyyF", "/work/Tests/TraceMallocTests/m.swift", 3))
    #expect(!isMachinery("$s3app4mainyyF", "\(app)/main.swift", 12))
    #expect(!isMachinery("compress", nil, 0, "/usr/lib/x86_64-linux-gnu/libz.so.1"))
    // The standard library's code specialised into the program: without line information, or
    // with a line of the caller it was inlined into. An extension in the caller's module is not.
    let appendInts = "$sSa6append10contentsOfyqd__n_t7ElementQyd__RszSTRd__lFSi_SaySiGTg5"
    #expect(isMachinery(appendInts, nil, 0))
    #expect(isMachinery("$sSa9repeating5countSayxGx_SitcfCSi_Tt1g5", "\(app)/main.swift", 187))
    #expect(!isMachinery("$sSa5MyAppSiRszlE7doubledSaySiGyF", "\(app)/Array+.swift", 4))
}

@Test func swiftSymbolsNameTheModuleThatDeclaresTheCode() throws {
    func symbol(_ rawName: String) throws -> Symbolizer.SwiftSymbol {
        try #require(Symbolizer.SwiftSymbol(rawName: rawName))
    }
    let cases: [(rawName: String, module: Substring?, fromRuntime: Bool)] = [
        ("$ss27_allocateUninitializedArrayySayxG_BptBwlF", "Swift", true),
        ("$sSa22_allocateUninitializedySayxG_SpyxGtSiFZSi_Tt0g5", "Swift", true),
        ("$sSa9repeating5countSayxGx_SitcfCSi_Tt1g5", "Swift", true),
        (
            "$sSlsE3mapySayqd__Gqd__7ElementQzqd_0_YKXEqd_0_YKs5ErrorRd_0_r0_lFSnySiG_Says5UInt8VGs5NeverOTg5",
            "Swift", true
        ),
        ("$s10Foundation4DataV5countSivg", "Foundation", true),
        ("$s16tracemalloc_demo9loadTilesSaySays5UInt8VGGyFAESiXEfU_", "tracemalloc_demo", false),
        ("$sSa5MyAppSiRszlE7doubledSaySiGyFS2iXEfU_", "MyApp", false),
        ("$sSD5IndexV5MyAppE3fooSiyF", "MyApp", false),
        ("$s3app5PointV1xACSi_tcfC", "app", false),
    ]

    for (rawName, module, fromRuntime) in cases {
        #expect(try symbol(rawName).definingModule == module, "\(rawName)")
        #expect(try symbol(rawName).isFromRuntimeModule == fromRuntime, "\(rawName)")
    }
    #expect(Symbolizer.SwiftSymbol(rawName: "swift_allocObject") == nil)
    #expect(Symbolizer.SwiftSymbol(rawName: "$sNotAMangledName") == nil)
}

@Test func onlyAClassesAllocatingEntryPointIsAnAllocatingInitializer() throws {
    func isAllocatingInitializer(_ rawName: String) throws -> Bool {
        try #require(Symbolizer.SwiftSymbol(rawName: rawName)).isAllocatingInitializer
    }

    #expect(try isAllocatingInitializer("$s16tracemalloc_demo8ParticleC4seedACSi_tcfC"))
    let privateClass = "$s16TraceMallocTests8FiveInts33_27662F7FF9DF43ED70FDC334A713A819LLCADycfC"
    #expect(try isAllocatingInitializer(privateClass))
    #expect(try !isAllocatingInitializer("$s16tracemalloc_demo8ParticleC4seedACSi_tcfc"))
    #expect(try !isAllocatingInitializer("$s3app5PointV1xACSi_tcfC"))
    #expect(try !isAllocatingInitializer("$s16tracemalloc_demo9loadTilesSaySays5UInt8VGGyFAESiXEfU_"))
}

@Test func framesWithoutSourceNameTheImageAndCompilerGeneratedCodeIsAPseudoFile() {
    let image = "/work/app/.build/debug/app"

    let withoutSource = Symbolizer.ResolvedFrame(
        rawName: "helper", function: "helper", sourcePath: nil, line: 0, image: image)
    let generated = Symbolizer.ResolvedFrame(
        rawName: "$sSa6appendyyxnF", function: "Array.append(_:)",
        sourcePath: "//<compiler-generated>", line: 0, image: image)

    #expect(locations([withoutSource.frame]) == ["\(image):0"])
    #expect(withoutSource.frame.function == "helper")
    #expect(generated.frame.filename == "<compiler-generated>")
}

@Test func buildIDOfAFileMatchesTheOneInMemoryAndTheRuntimeModules() throws {
    let libc = try image(named: "libc.so.6")
    let runtimeLibc = try #require(ImageMap.capture().first { $0.name == "libc.so.6" })

    let fromFile = try Image.gnuBuildID(ofFileAt: libc.path)

    #expect(fromFile != nil)
    #expect(fromFile == libc.buildID)
    #expect(fromFile == runtimeLibc.uniqueID)
    #expect(throws: Symbolizer.UnusableImage.self) {
        try Image.gnuBuildID(ofFileAt: #filePath)
    }
}

@Test func offlineImagesSymboliseLikeTheLiveProcess() throws {
    let capture = try captureStack()
    let offline = Symbolizer(images: Symbolizer.currentProcess.images)

    for address in capture.addresses {
        let frames = offline.frames(returnAddress: address)
        let live = Symbolizer.currentProcess.frames(returnAddress: address)
        #expect(locations(frames) == locations(live))
        #expect(frames.map(\.function) == live.map(\.function))
    }
    #expect(offline.warnings.isEmpty)
}

@Test func runtimeModuleAndLLVMSymbolizerAgreeOnThisFile() throws {
    let capture = try captureStack()
    let images = Symbolizer.currentProcess.images
    let llvm = Symbolizer(images: images, llvmSymbolizerPath: try LLVMSymbolizerChoice.found.path)
    let runtime = Symbolizer(images: images, llvmSymbolizerPath: nil)

    for address in capture.addresses.prefix(2) {
        let fromLLVM = llvm.frames(returnAddress: address)
        let fromRuntime = runtime.frames(returnAddress: address)
        #expect(locations(fromLLVM) == locations(fromRuntime))
        #expect(fromLLVM.map(\.function) == fromRuntime.map(\.function))
    }
    let fromRuntime = runtime.frames(returnAddress: capture.addresses[0])
    #expect(locations(fromRuntime) == ["\(#filePath):\(capture.line)"])
}

@Test func llvmSymbolizerThatCannotRunFallsBackToTheRuntimeModuleWithOneWarning() throws {
    let capture = try captureStack()
    let broken = "/nonexistent/llvm-symbolizer"
    let symbolizer = Symbolizer(
        images: Symbolizer.currentProcess.images, llvmSymbolizerPath: broken)

    let frames = capture.addresses.prefix(2).map { symbolizer.frames(returnAddress: $0) }

    #expect(locations(frames[0]) == ["\(#filePath):\(capture.line)"])
    #expect(frames[1].first?.filename == #filePath)
    #expect(symbolizer.warnings.count == 1)
    #expect(symbolizer.warnings.first?.contains(broken) == true)
}

@Test func llvmSymbolizerAnswersAreParsedFrameByFrame() {
    let answer = """
        $s3app6helperyyF
        /work/app/Sources/app/a:b.swift:12:7
        $s3app4mainyyF
        /work/app/Sources/app/main.swift:3:1
        ??
        ??:0:0
        $sSS12_createEmptyySSFZ
        Swift.o:0:0
        $sSa6appendyyxnF
        /<compiler-generated>:0:0

        """

    let frames = Symbolizer.LLVMSymbolizer.parse(Array(answer.utf8)[...])

    #expect(frames == [
        .init(rawName: "$s3app6helperyyF", file: "/work/app/Sources/app/a:b.swift", line: 12),
        .init(rawName: "$s3app4mainyyF", file: "/work/app/Sources/app/main.swift", line: 3),
        .init(rawName: nil, file: nil, line: 0),
        .init(rawName: "$sSS12_createEmptyySSFZ", file: nil, line: 0),
        .init(rawName: "$sSa6appendyyxnF", file: "/<compiler-generated>", line: 0),
    ])
    #expect(Symbolizer.LLVMSymbolizer.parse([]) == [.init(rawName: nil, file: nil, line: 0)])
}

@Test func offlineImageWithAnotherBuildIDGivesUnknownFramesAndOneWarning() throws {
    let capture = try captureStack()
    var program = try image(holding: capture.addresses[0])
    program.buildID = program.buildID.map { $0.map { ~$0 } } ?? [0x42]
    let offline = Symbolizer(images: [program])

    let frames = capture.addresses.prefix(2).flatMap { offline.frames(returnAddress: $0) }

    #expect(locations(frames) == ["<unknown>:0", "<unknown>:0"])
    #expect(frames.map(\.image) == [program.path, program.path])
    #expect(offline.warnings.count == 1)
    #expect(offline.warnings.first?.contains(program.path) == true)
    #expect(offline.warnings.first?.contains("build id") == true)
}

@Test func offlineImageSymbolisesFromACopyAndNotOnceTheFileIsDeleted() throws {
    let libc = try image(named: "libc.so.6")
    var copy = libc
    copy.path = "/tmp/SymbolizerTests-\(getpid())-libc.so.6"
    try copyFile(from: libc.path, to: copy.path)
    let address = try addressInLibc()

    let fromCopy = Symbolizer(images: [copy]).frames(returnAddress: address)
    unlink(copy.path)
    let deleted = Symbolizer(images: [copy])
    let fromDeleted = deleted.frames(returnAddress: address)

    #expect(fromCopy.first?.function?.contains("strdup") == true)
    #expect(fromCopy.first?.image == copy.path)
    #expect(locations(fromDeleted) == ["<unknown>:0"])
    #expect(fromDeleted.first?.function == nil)
    #expect(deleted.warnings.count == 1)
    #expect(deleted.warnings.first?.contains(copy.path) == true)
}

private func copyFile(from source: String, to destination: String) throws {
    let input = open(source, O_RDONLY)
    let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    defer {
        close(input)
        close(output)
    }
    try #require(input >= 0 && output >= 0)
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
        try #require(count >= 0)
        if count == 0 {
            return
        }
        let written = buffer.withUnsafeBytes { write(output, $0.baseAddress, count) }
        try #require(written == count)
    }
}

/// Addresses spread over `image`, one per `count`th of it.
private func addresses(spreadOver image: Image, count: Int) -> [UInt] {
    let stride = (image.end - image.start) / UInt(count)
    return (0..<UInt(count)).map { image.start + 1 + $0 * stride }
}

/// This test binary holds the debug information of the package and its dependencies, some
/// megabytes. llvm-symbolizer is sent the addresses in batches: each answer must still be its
/// own address's, as a look-up of that address alone gives it.
@Test func tenThousandUniqueAddressesOfADebugBinaryResolveAsEachAloneDoes() throws {
    let capture = try captureStack()
    let program = try image(holding: capture.addresses[0])
    let llvmSymbolizer = try LLVMSymbolizerChoice.found.path
    let symbolizer = Symbolizer(images: [program], llvmSymbolizerPath: llvmSymbolizer)
    let addresses = addresses(spreadOver: program, count: 10_000)

    let frames = symbolizer.frames(returnAddresses: addresses)

    let alone = Symbolizer(images: [program], llvmSymbolizerPath: llvmSymbolizer)
    var differences = 0
    for (address, frames) in zip(addresses, frames) {
        let expected = alone.frames(returnAddress: address)
        if locations(frames) != locations(expected) || frames.map(\.function) != expected.map(\.function) {
            differences += 1
        }
    }
    #expect(differences == 0)
    #expect(frames.filter { $0[0].lineno > 0 }.count > 1_000)
    #expect(frames.joined().allSatisfy { $0.image == program.path })
    #expect(symbolizer.warnings.isEmpty)
}

@Test func tenThousandUniqueAddressesAreResolvedOnceAndThenHitTheCache() throws {
    let core = try image(named: "libswiftCore.so")
    let symbolizer = Symbolizer(images: [core])
    let addresses = addresses(spreadOver: core, count: 10_000)

    let cold = symbolizer.frames(returnAddresses: addresses)
    let resolved = symbolizer.resolvedAddressCount
    let warm = symbolizer.frames(returnAddresses: addresses)

    #expect(resolved == 10_000)
    #expect(symbolizer.resolvedAddressCount == resolved)
    #expect(warm.map(locations) == cold.map(locations))
    #expect(cold.filter { $0[0].function != nil }.count > 5_000)
}
