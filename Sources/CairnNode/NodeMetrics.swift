import Logging
import Prometheus
import Synchronization

/// The node's Prometheus metrics, in one registry served at `/metrics`.
public final class NodeMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let submitted: Counter
    let completed: Counter
    let refused: Counter
    let committed: Counter
    let rejected: Counter
    let sealErrors: Counter
    let sealTime: DurationHistogram
    let height: Gauge
    /// 1 once sealing has stopped for a fork a witness reported (see `SealingHalt`).
    let halted: Gauge
    let droppedPoolRows: Counter

    public init() {
        let registry = self.registry
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: MetricNameDescriptor(metricName: name, unitName: "total", helpText: help))
        }
        submitted = counter("cairn_notices_submitted", "Submissions received (notices and co-signatures).")
        completed = counter("cairn_notices_completed", "Submissions that made a notice complete.")
        refused = counter("cairn_notices_refused", "Submissions refused at admission.")
        committed = counter("cairn_notices_committed", "Notices committed in a block.")
        rejected = counter("cairn_notices_rejected", "Notices rejected in a block.")
        sealErrors = counter("cairn_seal_errors", "Blocks that failed to seal.")
        sealTime = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(metricName: "cairn_block_seal", unitName: "seconds", helpText: "Time to seal one block."),
            labels: [], buckets: NodeMetrics.buckets)
        height = registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "cairn_block", unitName: "height", helpText: "Height of the latest sealed block."))
        halted = registry.makeGauge(
            descriptor: MetricNameDescriptor(metricName: "cairn_sealing_halted", helpText: "1 when sealing stopped for a reported fork."))
        droppedPoolRows = counter(
            "cairn_pool_rows_dropped", "Pending pool rows that sealing removed because they were not what admission wrote.")
    }

    static let buckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(20), .milliseconds(100), .milliseconds(500), .seconds(2),
    ]

    func request(route: String, method: String, status: Int) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "cairn_http_requests", unitName: "total", helpText: "HTTP requests by route and status."),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
    }

    func witness(_ name: String, latency: Duration) {
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                metricName: "cairn_witness_latency", unitName: "seconds", helpText: "Witness add-checkpoint latency."),
            labels: [("witness", name)], buckets: NodeMetrics.buckets
        ).record(latency)
    }

    func witnessError(_ name: String, reason: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "cairn_witness_errors", unitName: "total", helpText: "Witness calls that failed, by reason."),
            labels: [("witness", name), ("reason", reason)]
        ).increment()
    }
}

/// The node's logger (swift-log). `cairn serve` bootstraps JSON lines on stderr.
enum NodeLog {
    static let logger = Logger(label: "cairn.node")
}

/// Set once a witness answers that the node's log is not consistent with what it cosigned (422,
/// a fork): the node stops sealing, says why, and waits for its operator. Sealing on would sign
/// more blocks on a history that somebody has already been shown otherwise.
final class SealingHalt: Sendable {
    private let why = Mutex<String?>(nil)

    var reason: String? { why.withLock { $0 } }

    func halt(_ reason: String) {
        why.withLock { if $0 == nil { $0 = reason } }
    }
}
