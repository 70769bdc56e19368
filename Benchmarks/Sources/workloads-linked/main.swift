import Glibc
import TraceMalloc
import Workloads

// The workloads with TraceMalloc linked. After the workload's line it prints whether tracing was
// on, so the bench driver never times an "nframe" mode in which nothing was traced.
let status = WorkloadCommand.run(Array(CommandLine.arguments.dropFirst()))
print(
    "tracing=\(TraceMalloc.isTracing) traceback-limit=\(TraceMalloc.tracebackLimit)",
    "traced-peak=\(TraceMalloc.tracedMemory().peak)")
exit(status)
