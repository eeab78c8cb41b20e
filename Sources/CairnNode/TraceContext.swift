/// A W3C Trace Context `traceparent`: `00-<trace id>-<parent id>-<flags>`. The node takes it from
/// each request (or starts a trace), logs it, and passes it on when it calls witnesses.
struct TraceParent: Sendable, CustomStringConvertible {
    var traceID: String
    var spanID: String
    var flags: String

    /// Parses a header; nil when it is not a valid version-00 traceparent.
    init?(header: String) {
        let parts = header.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[0] == "00", TraceParent.isHex(parts[1], 32), TraceParent.isHex(parts[2], 16),
            TraceParent.isHex(parts[3], 2), parts[1] != String(repeating: "0", count: 32), parts[2] != String(repeating: "0", count: 16)
        else { return nil }
        (traceID, spanID, flags) = (parts[1], parts[2], parts[3])
    }

    private init(traceID: String, spanID: String, flags: String) {
        (self.traceID, self.spanID, self.flags) = (traceID, spanID, flags)
    }

    /// A new trace.
    static func start() -> TraceParent { TraceParent(traceID: randomHex(16), spanID: randomHex(8), flags: "01") }

    /// This hop's span in the same trace.
    func child() -> TraceParent { TraceParent(traceID: traceID, spanID: TraceParent.randomHex(8), flags: flags) }

    var description: String { "00-\(traceID)-\(spanID)-\(flags)" }

    private static func isHex(_ s: String, _ n: Int) -> Bool {
        s.utf8.count == n && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func randomHex(_ bytes: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let b = UInt8.random(in: 0...255, using: &rng)
            return String(b >> 4, radix: 16) + String(b & 15, radix: 16)
        }.joined()
    }
}
