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
private func callerOfInlinedCapture() throws -> (addresses: [UInt], helperLine: Int, callerLine: Int) {
    let callerLine = #line + 1
    let capture = try inlinedCapture()
    return (capture.addresses, capture.line, callerLine)
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

private func image(named name: String) throws -> Symbolizer.Image {
    try #require(Symbolizer.currentProcess.images.first { $0.path.hasSuffix("/" + name) })
}

@Test func returnAddressResolvesToThisFileLineAndDemangledFunction() throws {
    let capture = try captureStack()

    let frame = try #require(Symbolizer.currentProcess.frames(returnAddress: capture.addresses[0]).first)

    #expect(frame.filename == #filePath)
    #expect(frame.lineno == capture.line)
    #expect(frame.function?.contains("captureStack()") == true)
    #expect(frame.function?.hasPrefix("$s") == false)
    #expect(frame.image == Symbolizer.currentProcess.images.first { $0.contains(capture.addresses[0]) }?.path)
}

@Test func tracebackIsOldestFirstAndKeepsTheLimitMostRecentFrames() throws {
    let callerLine = #line + 1
    let capture = try captureStack()

    let traceback = Symbolizer.currentProcess.traceback(
        returnAddresses: capture.addresses, totalDepth: capture.addresses.count, limit: 2)

    #expect(traceback.frames.map(\.filename) == [#filePath, #filePath])
    #expect(traceback.frames.map(\.lineno) == [callerLine, capture.line])
    let allFrames = capture.addresses.flatMap { Symbolizer.currentProcess.frames(returnAddress: $0) }
    #expect(traceback.totalNframe == allFrames.count)
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
    let capture = try callerOfInlinedCapture()

    let traceback = Symbolizer.currentProcess.traceback(
        returnAddresses: capture.addresses, totalDepth: capture.addresses.count, limit: 2)

    #expect(traceback.frames.map(\.lineno) == [capture.callerLine, capture.helperLine])
    #expect(traceback.frames.last?.function?.contains("inlinedCapture()") == true)
    #expect(traceback.frames.first?.function?.contains("callerOfInlinedCapture()") == true)
    #if !DEBUG
    let frames = Symbolizer.currentProcess.frames(returnAddress: capture.addresses[0])
    #expect(frames.map(\.lineno) == [capture.helperLine, capture.callerLine])
    #endif
}

@Test func libcAddressNamesTheImageWithLineZero() throws {
    let libc = try image(named: "libc.so.6")

    let frames = Symbolizer.currentProcess.frames(returnAddress: try addressInLibc())

    #expect(frames.count == 1)
    #expect(frames[0].image == libc.path)
    #expect(frames[0].filename == libc.path)
    #expect(frames[0].lineno == 0)
    #expect(frames[0].function?.contains("strdup") == true)
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
    #expect(kept.totalNframe == dropped.totalNframe.map { $0 + 1 })
}

@Test func stackOfOnlyRuntimeFramesIsKeptWhole() throws {
    let traceback = Symbolizer.currentProcess.traceback(
        returnAddresses: [try addressInLibc()], totalDepth: 1, limit: 5)

    #expect(traceback.frames.map(\.image) == [try image(named: "libc.so.6").path])
    #expect(traceback.totalNframe == 1)
}

@Test func emptyStackIsTheUnknownFrame() {
    let traceback = Symbolizer.currentProcess.traceback(returnAddresses: [UInt](), totalDepth: 0, limit: 5)

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
    func isMachinery(_ rawName: String?, _ sourcePath: String?, _ line: Int, _ image: String) -> Bool {
        Symbolizer.ResolvedFrame(
            rawName: rawName, function: nil, sourcePath: sourcePath, line: line, image: image
        ).isMachinery
    }
    let program = "/work/app/.build/debug/app"

    #expect(isMachinery("swift_allocObject", nil, 0, "/opt/swift/usr/lib/swift/linux/libswiftCore.so"))
    #expect(isMachinery("malloc", nil, 0, "/usr/lib/x86_64-linux-gnu/libc.so.6"))
    #expect(isMachinery("malloc", "Sources/CTraceMalloc/hooks.c", 40, program))
    #expect(isMachinery("record_allocation", "Sources/CTraceMalloc/hooks.c", 80, program))
    #expect(isMachinery("tm_start", nil, 0, program))
    #expect(isMachinery("$s11TraceMalloc0aB0O5startyySiKFZ", "/work/Sources/TraceMalloc/TraceMalloc.swift", 9, program))
    #expect(isMachinery("$sSa6appendyyxnF", "//<compiler-generated>", 0, program))
    #expect(isMachinery("$s3app4NodeC5valueACSi_tcfC", "/work/app/Sources/app/Node.swift", 0, program))
    #expect(!isMachinery("$s16TraceMallocTests4mainyyF", "/work/Tests/TraceMallocTests/main.swift", 3, program))
    #expect(!isMachinery("$s3app4mainyyF", "/work/app/Sources/app/main.swift", 12, program))
    #expect(!isMachinery("compress", nil, 0, "/usr/lib/x86_64-linux-gnu/libz.so.1"))
}

@Test func framesWithoutSourceNameTheImageAndCompilerGeneratedCodeIsAPseudoFile() {
    let image = "/work/app/.build/debug/app"

    let withoutSource = Symbolizer.ResolvedFrame(
        rawName: "helper", function: "helper", sourcePath: nil, line: 0, image: image)
    let generated = Symbolizer.ResolvedFrame(
        rawName: "$sSa6appendyyxnF", function: "Array.append(_:)", sourcePath: "//<compiler-generated>",
        line: 0, image: image)

    #expect(locations([withoutSource.frame]) == ["\(image):0"])
    #expect(withoutSource.frame.function == "helper")
    #expect(generated.frame.filename == "<compiler-generated>")
}

@Test func buildIDOfAFileMatchesTheOneInMemoryAndTheRuntimeModules() throws {
    let libc = try image(named: "libc.so.6")
    let runtimeLibc = try #require(ImageMap.capture().first { $0.name == "libc.so.6" })

    let fromFile = try Symbolizer.Image.gnuBuildID(ofFileAt: libc.path)

    #expect(fromFile != nil)
    #expect(fromFile == libc.buildID)
    #expect(fromFile == runtimeLibc.uniqueID)
    #expect(throws: Symbolizer.UnusableImage.self) {
        try Symbolizer.Image.gnuBuildID(ofFileAt: #filePath)
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

@Test func offlineImageWithAnotherBuildIDGivesUnknownFramesAndOneWarning() throws {
    let capture = try captureStack()
    var program = try #require(Symbolizer.currentProcess.images.first { $0.contains(capture.addresses[0]) })
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

@Test func tenThousandUniqueAddressesSymboliseInUnderASecondAndThenHitTheCache() throws {
    let core = try image(named: "libswiftCore.so")
    let symbolizer = Symbolizer(images: [core])
    let stride = (core.end - core.start) / 10_000
    let addresses = (0..<10_000).map { core.start + 1 + UInt($0) * stride }
    let clock = ContinuousClock()
    var named = 0

    let cold = clock.measure {
        for address in addresses where symbolizer.frames(returnAddress: address)[0].function != nil {
            named += 1
        }
    }
    let warm = clock.measure {
        for address in addresses {
            _ = symbolizer.frames(returnAddress: address)
        }
    }

    print("TIMING cold", cold, "warm", warm, "named", named)
    #expect(cold < .seconds(1))
    #expect(warm < cold / 5)
    #expect(named > 5_000)
}
