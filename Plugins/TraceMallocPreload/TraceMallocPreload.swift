import Foundation
import PackagePlugin

/// Builds `libTraceMallocPreload.so`, the tracer `swift-tracemalloc run` preloads into the
/// programs it traces: the C core (the target CTraceMalloc), compiled and linked by the
/// toolchain's clang, as a resource of the tool.
///
/// Not a SwiftPM library product, because SwiftPM links every shared library with swiftc, which
/// adds the Swift runtime's image registration (swiftrt.o, calling `swift_addNewDSOImage`) and
/// `-lswiftCore`: preloaded, such a library brought libswiftCore and libstdc++ into every traced
/// program, C ones included (a C program's abort() then printed the Swift runtime's crash
/// report). Linked here it needs libc and libgcc_s (for `_Unwind_Backtrace`) alone.
@main
struct TraceMallocPreload: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let core = try context.package.targets(named: ["CTraceMalloc"]).first as? SourceModuleTarget else {
            throw PluginError(description: "the package has no C target CTraceMalloc to build the tracer from")
        }
        let sources = core.sourceFiles(withSuffix: "c").map(\.url)
        let headers = core.sourceFiles(withSuffix: "h").map(\.url)
        let library = context.pluginWorkDirectoryURL.appending(path: "libTraceMallocPreload.so")
        // The flags SwiftPM gives the core in a release build, frame pointers included: the
        // hooks' traced halves are where the walk starts. Always optimised: it runs in every
        // allocation of the traced program.
        let flags = [
            "-std=gnu11", "-O2", "-g", "-fPIC", "-fno-omit-frame-pointer",
            "-I", core.directoryURL.appending(path: "include").path,
            "-shared", "-Wl,--build-id", "-Wl,-z,defs",
        ]
        return [
            .buildCommand(
                displayName: "Building libTraceMallocPreload.so",
                executable: try context.tool(named: "clang").url,
                arguments: flags + ["-o", library.path] + sources.map(\.path) + ["-lgcc_s"],
                inputFiles: sources + headers,
                outputFiles: [library]
            )
        ]
    }
}

struct PluginError: Error, CustomStringConvertible {
    var description: String
}
