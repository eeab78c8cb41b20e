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
