/// Entry points: strict parsing and RFC 8785 (JCS) canonical serialization.
public enum JSON {
    /// Strictly parses one RFC 8259 JSON text (UTF-8, no BOM) surrounded by optional whitespace.
    ///
    /// Rejects invalid UTF-8 anywhere, unpaired `\u` surrogate escapes, duplicate object keys
    /// (compared by exact code units, not Swift `String ==`), trailing data, nesting deeper than
    /// `maxDepth` (a top-level array or object is depth 1), and numbers that overflow a Double.
    /// Numbers that underflow round to zero, as in ECMAScript.
    /// - Precondition: `maxDepth >= 0`; each nesting level costs a stack frame.
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = 64) throws(JSONError) -> JSONValue {
        try withContiguousBytes(bytes) { buffer throws(JSONError) in
            var parser = JSONParser(buffer, maxDepth: maxDepth)
            return try parser.parseDocument()
        }
    }

    /// RFC 8785 canonical UTF-8 bytes of `value`: object members sorted by the UTF-16 code units
    /// of their keys, no insignificant whitespace, minimal string escaping, and numbers in
    /// ECMAScript `Number.prototype.toString()` form.
    /// - Precondition: every number is finite and every object's keys are unique (always true
    ///   for values from `parse`); violations trap.
    public static func canonical(_ value: JSONValue) -> [UInt8] {
        canonical(value, after: [])
    }

    /// `prefix` followed by the canonical bytes of `value`, in one buffer of at least `capacity`
    /// bytes: a notice's signing message is its tag and its canonical body.
    public static func canonical(_ value: JSONValue, after prefix: [UInt8], capacity: Int = 256) -> [UInt8] {
        var writer = CanonicalWriter(capacity: capacity)
        writer.out += prefix
        writer.write(value)
        return writer.out
    }

    /// Parses `bytes` (see `parse`) and returns their canonical form.
    public static func canonicalize(_ bytes: some Collection<UInt8>, maxDepth: Int = 64) throws(JSONError) -> [UInt8] {
        canonical(try parse(bytes, maxDepth: maxDepth))
    }

    /// Parses `bytes` and returns the value only if `bytes` are already exactly canonical.
    /// Throws the parse error, or `.notCanonical` positioned at the first differing byte.
    public static func requireCanonical(_ bytes: some Collection<UInt8>, maxDepth: Int = 64) throws(JSONError)
        -> JSONValue
    {
        try withContiguousBytes(bytes) { input throws(JSONError) in
            var parser = JSONParser(input, maxDepth: maxDepth)
            let value = try parser.parseDocument()
            let expected = canonical(value)
            var offset = 0
            while offset < min(input.count, expected.count) && input[offset] == expected[offset] { offset += 1 }
            guard offset == input.count && offset == expected.count else {
                let wanted = offset < expected.count ? describe(expected[offset]) : "end of input"
                throw JSONError(
                    .notCanonical,
                    "not in canonical form: first difference at byte offset \(offset), expected \(wanted)",
                    at: offset, in: input)
            }
            return value
        }
    }

    /// Runs `body` on the bytes as one contiguous buffer, copying only if the collection has none.
    private static func withContiguousBytes<R>(
        _ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws(JSONError) -> R
    ) throws(JSONError) -> R {
        let wrapped = { (buffer: UnsafeBufferPointer<UInt8>) in
            Result { () throws(JSONError) in try body(buffer) }
        }
        if let result = bytes.withContiguousStorageIfAvailable(wrapped) { return try result.get() }
        return try Array(bytes).withUnsafeBufferPointer(wrapped).get()
    }

    private static func describe(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(hex(b))"
    }
}

/// Serializes a `JSONValue` in RFC 8785 canonical form.
struct CanonicalWriter {
    var out: [UInt8] = []

    init(capacity: Int = 256) { out.reserveCapacity(capacity) }

    mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let b): append(b ? "true" : "false")
        case .number(let d): appendECMAScriptNumber(d, to: &out)
        case .string(let s): writeString(s)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, e) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(e)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object): writeObject(object.members)
        }
    }

    /// Members sorted by UTF-16 code units of the keys (RFC 8785 §3.2.3).
    private mutating func writeObject(_ members: [(key: String, value: JSONValue)]) {
        out.append(UInt8(ascii: "{"))
        withUnsafeTemporaryAllocation(of: SortEntry.self, capacity: members.count) { buffer in
            var order = buffer
            for i in order.indices {
                order.initializeElement(
                    at: i, to: SortEntry(prefix: withUTF8Bytes(members[i].key, sortPrefix), index: i))
            }
            order.sort { a, b in
                a.prefix != b.prefix ? a.prefix < b.prefix : utf16Less(members[a.index].key, members[b.index].key)
            }
            for n in order.indices {
                let i = order[n].index
                if n > 0 {
                    precondition(
                        order[n - 1].prefix != order[n].prefix
                            || !utf8Equal(members[order[n - 1].index].key, members[i].key),
                        "JSONObject has duplicate key \(quoted(members[i].key))")
                    out.append(UInt8(ascii: ","))
                }
                writeString(members[i].key)
                out.append(UInt8(ascii: ":"))
                write(members[i].value)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    private struct SortEntry {
        var prefix: UInt64
        var index: Int
    }

    /// RFC 8785 §3.2.2.2: escape only `"`, `\` and C0 controls; everything else is literal UTF-8.
    mutating func writeString(_ s: String) {
        out.append(UInt8(ascii: "\""))
        withUTF8Bytes(s) { bytes in
            var runStart = 0
            while true {
                let i = firstSpecialByte(in: bytes, from: runStart, stopAtNonASCII: false)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                guard i < bytes.count else { break }
                appendEscape(bytes[i])
                runStart = i + 1
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(_ b: UInt8) {
        out.append(UInt8(ascii: "\\"))
        switch b {
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(b)
        default:
            let hexDigits: StaticString = "0123456789abcdef"
            out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            out.append(hexDigits.utf8Start[Int(b >> 4)])
            out.append(hexDigits.utf8Start[Int(b & 0xF)])
        }
    }

    mutating func append(_ s: StaticString) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }
}
