import CairnNode
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// Structured logs and tracing for the long-running commands (`serve`, `witness serve`).
///
/// Logs are JSON lines on stderr carrying the current span's `trace_id` and `span_id`. Tracing is
/// swift-distributed-tracing with swift-otel's tracer and the W3C Trace Context propagator, always
/// on, so a request's `traceparent` is continued and passed on to witnesses. Spans are exported over
/// OTLP/HTTP (protobuf) only when `otlpEndpoint` is given; otherwise they are dropped. Only tracing
/// is bootstrapped: logs stay ours and metrics stay Prometheus.
enum Observability {
    /// Bootstraps once per process; returns the exporter's service, to run beside the server.
    static func bootstrap(service: String, otlpEndpoint: String?) throws -> any Service {
        var config = OTel.Configuration.default
        config.serviceName = service
        config.logs.enabled = false
        config.metrics.enabled = false
        config.traces.enabled = true
        config.propagators = [.traceContext]
        config.diagnosticLogLevel = .error
        if let otlpEndpoint {
            config.traces.exporter = .otlp
            config.traces.otlpExporter.protocol = .httpProtobuf
            config.traces.otlpExporter.endpoint = otlpEndpoint.hasSuffix("/") ? otlpEndpoint + "v1/traces" : otlpEndpoint + "/v1/traces"
        } else {
            config.traces.exporter = .none
        }
        let (tracer, exporter) = try OTel.makeTracingBackend(configuration: config)
        InstrumentationSystem.bootstrap(tracer)
        LoggingSystem.bootstrap(
            { label, provider in JSONLogHandler(label: label, metadataProvider: provider) },
            metadataProvider: OTel.makeLoggingMetadataProvider())
        return exporter
    }
}
