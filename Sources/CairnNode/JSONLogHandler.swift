import CairnCore
import Foundation
import Logging

/// Structured logs: one JSON object per line on stderr, with the time, level, label, message and metadata.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var o = JSONObject([
            ("time", .string(ISO8601DateFormatter().string(from: Date()))), ("level", .string(event.level.rawValue)),
            ("label", .string(label)), ("message", .string(event.message.description)),
        ])
        for (k, v) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { o[k] = .string(v.description) }
        FileHandle.standardError.write(Data(JSON.canonical(.object(o)) + [10]))
    }
}
