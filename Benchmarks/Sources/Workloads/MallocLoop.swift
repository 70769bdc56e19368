import CWorkloads

/// Workload (a): the loop is C so that nothing but malloc and free runs between the hooks.
func mallocFreeLoop(pairs: Int) -> UInt64 {
    cw_malloc_free_loop(UInt64(pairs), 64)
}
