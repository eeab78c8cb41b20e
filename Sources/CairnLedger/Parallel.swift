import Dispatch

/// Maps over `items` on all cores, keeping the order. For the CPU-bound stages of ingest and
/// audit (parsing, Ed25519); `transform` must not touch shared mutable state.
func parallelMap<T: Sendable, R>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
    guard items.count > 1 else { return items.map(transform) }
    let n = items.count
    let out = UnsafeMutableBufferPointer<R?>.allocate(capacity: n)
    out.initialize(repeating: nil)
    defer {
        // deallocate() alone would leak every element: release them first.
        out.deinitialize()
        out.deallocate()
    }
    // Each iteration writes only its own slot, so sharing the buffer is safe. One item per
    // iteration: the cores take items as they free up, so a batch ends with at most one item's
    // work on one core, where 64 fixed chunks left one core idle for up to a chunk's.
    nonisolated(unsafe) let slots = out
    DispatchQueue.concurrentPerform(iterations: n) { i in slots[i] = transform(items[i]) }
    return out.map { $0! }
}
