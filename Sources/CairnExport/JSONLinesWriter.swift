// JSON Lines: one canonical (JCS) object per committed notice.

/// Writes one line per record:
/// `{"envelope":<envelope JSON, verbatim>,"height":H,"id":"…","leafIndex":L,"status":"…","time":"…"}`.
///
/// Keys are in RFC 8785 order (UTF-16 code units), there is no whitespace, and numbers are
/// integers. The envelope is already canonical JSON (it is the Merkle leaf) and is embedded
/// unchanged, so `JCS(line) == line` whenever the envelope is canonical.
public enum JSONLinesWriter {
    /// One line, ending in `\n`.
    public static func line(_ record: ExportRecord) -> String {
        var out = "{\"envelope\":"
        out += record.envelope
        out += ",\"height\":\(record.height),\"id\":"
        appendJSONString(record.id, to: &out)
        out += ",\"leafIndex\":\(record.leafIndex),\"status\":"
        appendJSONString(record.status, to: &out)
        out += ",\"time\":"
        appendJSONString(record.time, to: &out)
        out += "}\n"
        return out
    }

    /// Streams `records` (any sequence, e.g. a lazy cursor) to `sink`, one line per call.
    public static func write(_ records: some Sequence<ExportRecord>, to sink: (String) -> Void) {
        for record in records { sink(line(record)) }
    }

    /// RFC 8785 string escaping: `"` `\` and C0 controls only, short forms where they exist.
    static func appendJSONString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{09}": out += "\\t"
            case "\u{0A}": out += "\\n"
            case "\u{0C}": out += "\\f"
            case "\u{0D}": out += "\\r"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
