import Glibc
import Workloads

// The workloads with no tracer linked: `swift-tracemalloc run`, heaptrack or nothing traces it.
exit(WorkloadCommand.run(Array(CommandLine.arguments.dropFirst())))
