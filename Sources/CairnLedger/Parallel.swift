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
    // Each chunk writes only its own slots, so sharing the buffer is safe.
    nonisolated(unsafe) let slots = out
    let chunks = Swift.min(n, 64)
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        var i = c
        while i < n {
            slots[i] = transform(items[i])
            i += chunks
        }
    }
    return out.map { $0! }
}
