import CTraceMalloc
import Synchronization

/// Turns captured return addresses into frames: demangled function, source file, line, and the
/// calls the compiler inlined there, each as a frame of its own.
///
/// Symbolisation reads files, runs a child process and allocates, so it runs when a snapshot
/// is taken or a file is read, never in a malloc hook. Each address is resolved once; later
/// look-ups hit a cache. The toolchain's `llvm-symbolizer` reads the debug information and the
/// `Runtime` module demangles Swift names; without llvm-symbolizer the `Runtime` module reads
/// the debug information too, more slowly.
final class Symbolizer: Sendable {
    /// This process's images, from the C core's list. An address in no known image makes it
    /// re-read the list when the list has changed since (a library loaded or unloaded).
    static let currentProcess = Symbolizer(
        images: [], followsCurrentProcess: true, llvmSymbolizerPath: LLVMSymbolizer.defaultPath)

    private let followsCurrentProcess: Bool
    private let state: Mutex<State>
    /// The llvm-symbolizer to ask; nil when there is none, or it failed, and the `Runtime`
    /// module reads the debug information instead. A lock of its own, so that cache hits do
    /// not wait for its answers.
    private let llvmSymbolizer: Mutex<LLVMSymbolizer?>

    /// Everything the symbolizer learns, behind one lock: callers may symbolise from any thread.
    private struct State: ~Copyable {
        /// The images addresses may fall in, each checked against its file on first use.
        var images: [LoadedImage]
        /// `tm_images_generation()` when `images` was read; nil until then, and for offline
        /// images.
        var imagesGeneration: UInt64?
        /// Return address => its frames, most recent first.
        var cache: [UInt: [ResolvedFrame]] = [:]
        /// How many addresses were resolved from debug information rather than the cache.
        var resolvedAddressCount = 0
        var warnings: [String] = []
    }

    /// An image and whether its file can be used to symbolise it.
    private struct LoadedImage: Sendable {
        enum FileCheck: Sendable {
            case unchecked
            case verified
            case unusable
        }

        var image: Image
        var fileCheck: FileCheck = .unchecked
    }

    /// Creates a symbolizer for the images of another, possibly finished, process, as its
    /// tracer recorded them.
    ///
    /// An image whose file is missing, or whose build id differs from the recorded one, gives
    /// frames `("<unknown>", 0)` and one entry in `warnings`.
    ///
    /// - Parameters:
    ///   - images: The images the traced process had loaded.
    ///   - llvmSymbolizerPath: The llvm-symbolizer to run, or nil to read debug information
    ///     with the `Runtime` module.
    convenience init(images: [Image], llvmSymbolizerPath: String? = LLVMSymbolizer.defaultPath) {
        self.init(
            images: images, followsCurrentProcess: false, llvmSymbolizerPath: llvmSymbolizerPath)
    }

    private init(images: [Image], followsCurrentProcess: Bool, llvmSymbolizerPath: String?) {
        self.followsCurrentProcess = followsCurrentProcess
        state = Mutex(State(images: images.map { LoadedImage(image: $0) }))
        llvmSymbolizer = Mutex(llvmSymbolizerPath.map(LLVMSymbolizer.init(path:)))
    }

    /// The images known so far; for `currentProcess`, the ones loaded now.
    var images: [Image] {
        state.withLock { state in
            if followsCurrentProcess {
                refreshImagesIfTheListChanged(&state)
            }
            return state.images.map(\.image)
        }
    }

    /// How many addresses have been resolved from debug information (by llvm-symbolizer or the
    /// `Runtime` module) rather than found in the cache: each address once, unless two threads
    /// resolve it at the same time.
    var resolvedAddressCount: Int {
        state.withLock { $0.resolvedAddressCount }
    }

    /// Why some frames are `<unknown>` or were slow to come: one line per image that could not
    /// be used, and one if llvm-symbolizer failed.
    var warnings: [String] {
        state.withLock { $0.warnings }
    }

    /// The frames at one return address, most recent first: the functions inlined at the call
    /// come first, innermost first, and the function that made the call last.
    ///
    /// The call instruction is looked up (`returnAddress - 1`), not the one after it.
    ///
    /// - Parameter returnAddress: A return address as the stack walk captured it.
    /// - Returns: At least one frame; `("<unknown>", 0)` when nothing is known.
    /// - Complexity: O(1) once the address has been resolved.
    func frames(returnAddress: UInt) -> [Frame] {
        resolved(returnAddresses: [returnAddress])[0].map(\.frame)
    }

    /// The frames at each of `returnAddresses`, as `frames(returnAddress:)` gives them.
    ///
    /// Resolving many addresses in one call is faster: llvm-symbolizer is sent them in bulk
    /// rather than one exchange each.
    ///
    /// - Parameter returnAddresses: Return addresses as stack walks captured them.
    /// - Returns: One list of frames for each address, in order.
    func frames(returnAddresses: some Collection<UInt>) -> [[Frame]] {
        resolved(returnAddresses: Array(returnAddresses)).map { $0.map(\.frame) }
    }

    /// The traceback of a captured stack, as Python would show it.
    ///
    /// Frames of the machinery at the top of the stack (runtime images such as libc and
    /// libswiftCore, code of the standard library's modules wherever it was compiled, code
    /// generated by the compiler, and the tracer itself) are dropped, and so is a class's
    /// allocating initializer that called the allocator itself, so that the most recent frame
    /// is the line of the caller's code that allocated; when the whole stack was captured, the
    /// machinery's frames below the program's oldest one (the thread's entry in libc) go too.
    /// If every frame would be dropped, all are kept: a pure runtime allocation still shows
    /// where it came from. Then the `limit` most recent frames are kept.
    ///
    /// `totalNframe` counts the frames left after the drop, plus the raw addresses the capture
    /// did not keep (`totalDepth - returnAddresses.count`). Those uncaptured addresses are
    /// counted as one frame each, though inlining would turn some into several: an
    /// approximation, since symbolising them would need the addresses. It is capped at
    /// `TM_MAX_NFRAME` (65535), as CPython caps `total_nframe`.
    ///
    /// - Parameters:
    ///   - returnAddresses: The captured return addresses, most recent first.
    ///   - totalDepth: The number of return addresses of the whole stack, captured or not.
    ///   - limit: The maximum number of frames to keep (`nframe`).
    ///   - keepingRuntimeFrames: Whether to keep the machinery's frames at the top.
    /// - Returns: The traceback, oldest frame first; `("<unknown>", 0)` with total 1 when
    ///   nothing was captured.
    func traceback(
        returnAddresses: some Collection<UInt>,
        totalDepth: Int,
        limit: Int,
        keepingRuntimeFrames: Bool = false
    ) -> Traceback {
        precondition(limit >= 1, "a traceback keeps at least one frame")
        precondition(
            totalDepth >= returnAddresses.count, "the stack is deeper than its captured part")
        let addresses = Array(returnAddresses)
        let kept = keepingRuntimeFrames ? nil : framesTheDropMayKeep(addresses, whole: addresses.count == totalDepth)
        var frames = resolved(returnAddresses: kept.map { Array(addresses[$0]) } ?? addresses).joined().map { $0 }
        if kept != nil, !frames.contains(where: { !$0.isMachinery }) {
            // Every frame is the machinery's: all are kept then, so all are resolved.
            frames = resolved(returnAddresses: addresses).joined().map { $0 }
        }
        if !keepingRuntimeFrames, var callersFrame = frames.firstIndex(where: { !$0.isMachinery }) {
            if callersFrame > 0, callersFrame + 1 < frames.count,
                frames[callersFrame].isAllocatingInitializer(calling: frames[callersFrame - 1])
            {
                callersFrame += 1
            }
            frames.removeFirst(callersFrame)
            // The bottom of a whole stack is the runtime's too (libc's `__libc_start_call_main`,
            // `start_thread`, Foundation's thread entry): Python's oldest frame is the program's
            // own, and `str(Traceback)` prints the oldest frame, so those go as well.
            if returnAddresses.count == totalDepth, let oldest = frames.lastIndex(where: { !$0.isMachinery }) {
                frames.removeLast(frames.count - 1 - oldest)
            }
        }
        guard !frames.isEmpty else {
            return Traceback(frames: [ResolvedFrame.unknown(image: nil).frame], totalNframe: 1)
        }
        let totalNframe = frames.count + (totalDepth - returnAddresses.count)
        return Traceback(
            frames: frames.prefix(limit).reversed().map(\.frame),
            totalNframe: min(totalNframe, Int(TM_MAX_NFRAME))
        )
    }

    /// The addresses whose frames `traceback` may keep, when others can be dropped unresolved:
    /// those in a runtime image (libc, libswiftCore, Foundation…) above the program's first
    /// address, all but the last of them, which tells an allocating initializer that called the
    /// allocator; and, in a whole stack, those below the program's last address. Their frames
    /// are the machinery's by their image alone, and not resolving them spares llvm-symbolizer
    /// reading those images (measured: most of `run`'s conversion time for a Foundation program).
    /// Nil when no address is in a usable image outside the runtime.
    private func framesTheDropMayKeep(_ addresses: [UInt], whole: Bool) -> Range<Int>? {
        let runtime: [Bool] = state.withLock { state in
            addresses.map { address in
                guard let loaded = checkedImage(containing: address &- 1, in: &state) else { return false }
                return loaded.fileCheck == .verified && tm_image_is_runtime(loaded.image.path)
            }
        }
        guard let first = runtime.firstIndex(of: false), let last = runtime.lastIndex(of: false) else {
            return nil
        }
        return max(first - 1, 0)..<(whole ? last + 1 : addresses.count)
    }

    /// The frames at each of `returnAddresses`, from the cache or resolved now.
    ///
    /// The cache's lock is not held while the debug information is read, so other threads'
    /// cache hits do not wait for it. Two threads resolving the same address both do the work
    /// and store the same frames.
    private func resolved(returnAddresses: [UInt]) -> [[ResolvedFrame]] {
        var results = [[ResolvedFrame]?](repeating: nil, count: returnAddresses.count)
        // Addresses in checked images that the cache does not have, each once.
        var misses: [UInt: Image] = [:]
        state.withLock { state in
            for (index, returnAddress) in returnAddresses.enumerated() {
                if let frames = state.cache[returnAddress] {
                    results[index] = frames
                    continue
                }
                let loaded = checkedImage(containing: returnAddress &- 1, in: &state)
                switch loaded?.fileCheck {
                case .verified:
                    misses[returnAddress] = loaded?.image
                case .unusable, .unchecked:
                    results[index] = [.unknown(image: loaded?.image.path)]
                case nil:
                    results[index] = [.unknown(image: nil)]
                }
            }
        }
        let found = symbolicate(misses.map { ($0.key, $0.value) })
        state.withLock { state in
            state.resolvedAddressCount += found.count
            for (index, returnAddress) in returnAddresses.enumerated() {
                if let frames = found[returnAddress] {
                    results[index] = frames
                }
                state.cache[returnAddress] = results[index]
            }
        }
        return results.map { $0! }
    }

    /// The frames at each return address in its image, whose file was checked: from
    /// llvm-symbolizer, or from the `Runtime` module when it cannot answer.
    private func symbolicate(
        _ addresses: [(returnAddress: UInt, image: Image)]
    ) -> [UInt: [ResolvedFrame]] {
        guard !addresses.isEmpty else {
            return [:]
        }
        // The call instruction, in the file's address space.
        let requests = addresses.map {
            (file: $0.image.path, address: $0.returnAddress - 1 - $0.image.bias)
        }
        let answers = llvmSymbolizer.withLock { llvmSymbolizer in
            askLLVMSymbolizer(&llvmSymbolizer, requests)
        }
        var frames: [UInt: [ResolvedFrame]] = [:]
        var verdicts = ResolvedFrame.Verdicts()
        for (index, (returnAddress, image)) in addresses.enumerated() {
            guard let sourceFrames = answers?[index] else {
                frames[returnAddress] = RuntimeModule.frames(
                    returnAddress: returnAddress, in: image)
                continue
            }
            frames[returnAddress] = sourceFrames.map { frame in
                ResolvedFrame(
                    rawName: frame.rawName,
                    function: frame.rawName.map(RuntimeModule.demangle),
                    sourcePath: frame.file,
                    line: frame.line,
                    image: image.path,
                    verdicts: &verdicts
                )
            }
        }
        return frames
    }

    /// llvm-symbolizer's answers, or nil without one. One that fails is dropped, with a
    /// warning, and the `Runtime` module takes over.
    private func askLLVMSymbolizer(
        _ llvmSymbolizer: inout LLVMSymbolizer?,
        _ requests: [(file: String, address: UInt)]
    ) -> [[LLVMSymbolizer.SourceFrame]?]? {
        guard let running = llvmSymbolizer else {
            return nil
        }
        do throws(LLVMSymbolizer.Failure) {
            return try running.frames(of: requests)
        } catch {
            llvmSymbolizer = nil
            state.withLock {
                $0.warnings.append(
                    "\(running.path): \(error.reason); the Runtime module reads debug information "
                        + "from now on, more slowly")
            }
            return nil
        }
    }

    /// The image holding `address`, its file checked; nil when no image holds it.
    private func checkedImage(containing address: UInt, in state: inout State) -> LoadedImage? {
        var index = state.images.firstIndex { $0.image.contains(address) }
        if index == nil, followsCurrentProcess {
            refreshImagesIfTheListChanged(&state)
            index = state.images.firstIndex { $0.image.contains(address) }
        }
        guard let index else {
            return nil
        }
        if case .unchecked = state.images[index].fileCheck {
            do {
                try state.images[index].image.checkFile()
                state.images[index].fileCheck = .verified
            } catch {
                state.images[index].fileCheck = .unusable
                state.warnings.append(
                    "\(state.images[index].image.path): \(error.reason); its frames are <unknown>")
            }
        }
        return state.images[index]
    }

    /// Re-reads this process's images if the C core's list has changed since the last read.
    /// An image still loaded at the same place keeps its checked file.
    private func refreshImagesIfTheListChanged(_ state: inout State) {
        // Read before the list: a change in between is then seen at the next call.
        let generation = tm_images_generation()
        guard generation != state.imagesGeneration else {
            return
        }
        let known = state.images
        state.images = Image.loadedInCurrentProcess().map { image in
            known.first { $0.image == image } ?? LoadedImage(image: image)
        }
        state.imagesGeneration = generation
    }
}
