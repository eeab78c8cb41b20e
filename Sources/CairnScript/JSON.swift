/// A small JSON value: enough to read conformance rows and print reports (keys sorted on output).
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool { a.text == b.text }

    public subscript(key: String) -> JSON? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first(where: { $0.0 == key })?.1
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var int: Int64? { if case .int(let v) = self { v } else { nil } }
    var array: [JSON]? { if case .array(let a) = self { a } else { nil } }

    /// Compact text with object keys sorted by their UTF-8 bytes.
    public var text: String {
        var out = ""
        write(&out, indent: nil, level: 0)
        return out
    }

    /// Indented text (two spaces) with sorted keys.
    public var pretty: String {
        var out = ""
        write(&out, indent: "  ", level: 0)
        return out
    }

    private func write(_ out: inout String, indent: String?, level: Int) {
        func newline(_ l: Int) {
            if let ind = indent { out += "\n" + String(repeating: ind, count: l) }
        }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let v): out += String(v)
        case .string(let s): JSON.quote(s, &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                newline(level + 1)
                v.write(&out, indent: indent, level: level + 1)
            }
            if !a.isEmpty { newline(level) }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, (k, v)) in pairs.sorted(by: { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }).enumerated() {
                if i > 0 { out += "," }
                newline(level + 1)
                JSON.quote(k, &out)
                out += indent == nil ? ":" : ": "
                v.write(&out, indent: indent, level: level + 1)
            }
            if !pairs.isEmpty { newline(level) }
            out += "}"
        }
    }

    static func quote(_ s: String, _ out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 {
                    let h = Array("0123456789abcdef")
                    out += "\\u00" + String(h[Int(u.value >> 4)]) + String(h[Int(u.value & 15)])
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    /// Parses JSON text (integers only, no floats). Nil on any error.
    public static func parse(_ text: String) -> JSON? { try? parseLocated(text).value }

    /// Why a text is not JSON (or not the JSON expected), and where: 1-based line and column
    /// (columns count Unicode scalars).
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        public var message: String

        public init(line: Int, column: Int, message: String) {
            self.line = line
            self.column = column
            self.message = message
        }

        public var description: String { "\(line):\(column): \(message)" }
    }

    /// Parses JSON text (integers only; object keys must be unique), also returning the line on
    /// which each element of a top-level array starts, so a corpus can name its rows by line.
    public static func parseLocated(_ text: String) throws(ParseError) -> (value: JSON, lines: [Int]) {
        var p = JSONReader(bytes: Array(text.utf8))
        do throws(JSONReader.Failure) {
            let v = try p.value(depth: 0)
            p.space()
            guard p.i == p.bytes.count else { throw p.fail("unexpected text after the JSON value") }
            return (v, p.elementStarts.map { p.position(of: $0).line })
        } catch {
            let (line, column) = p.position(of: error.offset)
            throw ParseError(line: line, column: column, message: error.message)
        }
    }
}

private struct JSONReader {
    struct Failure: Error {
        var offset: Int
        var message: String
    }

    let bytes: [UInt8]
    var i = 0
    /// Byte offsets of the elements of the top-level array.
    var elementStarts: [Int] = []

    func fail(_ message: String, at offset: Int? = nil) -> Failure { Failure(offset: offset ?? i, message: message) }

    /// 1-based line and column (in Unicode scalars) of a byte offset.
    func position(of offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for b in bytes[..<min(offset, bytes.count)] {
            if b == 0x0a {
                line += 1
                column = 1
            } else if b & 0xc0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    var found: String {
        guard i < bytes.count else { return "the end of the text" }
        let c = bytes[i]
        return c >= 0x21 && c < 0x7f ? "'\(String(UnicodeScalar(c)))'" : "byte 0x\(Hex.encode([c]))"
    }

    mutating func space() { while i < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[i]) { i += 1 } }

    mutating func lit(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard bytes.count - i >= u.count, Array(bytes[i..<i + u.count]) == u else { return false }
        i += u.count
        return true
    }

    mutating func word(_ s: String, _ v: JSON) throws(Failure) -> JSON {
        guard lit(s) else { throw fail("expected a JSON value, found \(found)") }
        return v
    }

    mutating func value(depth: Int) throws(Failure) -> JSON {
        guard depth < 64 else { throw fail("nested deeper than 64 levels") }
        space()
        guard i < bytes.count else { throw fail("expected a JSON value, found the end of the text") }
        switch bytes[i] {
        case UInt8(ascii: "n"): return try word("null", .null)
        case UInt8(ascii: "t"): return try word("true", .bool(true))
        case UInt8(ascii: "f"): return try word("false", .bool(false))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "["):
            i += 1
            var out: [JSON] = []
            space()
            if lit("]") { return .array(out) }
            while true {
                space()
                if depth == 0 { elementStarts.append(i) }
                out.append(try value(depth: depth + 1))
                space()
                if lit(",") { continue }
                if lit("]") { return .array(out) }
                throw fail("expected ',' or ']' in an array, found \(found)")
            }
        case UInt8(ascii: "{"):
            i += 1
            var out: [(String, JSON)] = []
            space()
            if lit("}") { return .object(out) }
            while true {
                space()
                let at = i
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key in quotes, found \(found)") }
                let k = try string()
                if out.contains(where: { $0.0 == k }) { throw fail("duplicate key \"\(k)\"", at: at) }
                space()
                guard lit(":") else { throw fail("expected ':' after a key, found \(found)") }
                out.append((k, try value(depth: depth + 1)))
                space()
                if lit(",") { continue }
                if lit("}") { return .object(out) }
                throw fail("expected ',' or '}' in an object, found \(found)")
            }
        default: return try number()
        }
    }

    mutating func number() throws(Failure) -> JSON {
        let start = i
        let neg = lit("-")
        var v: Int64 = 0
        let s = i
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            // Accumulate negatively so that Int64.min is readable.
            let (a, o2) = m.subtractingReportingOverflow(Int64(bytes[i] - 0x30))
            if o1 || o2 { throw fail("the number does not fit in Int64", at: start) }
            v = a
            i += 1
        }
        guard i > s else { throw fail("expected a JSON value, found \(found)", at: start) }
        if i < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[i]) {
            throw fail("only integers are allowed", at: start)
        }
        if neg { return .int(v) }
        guard v != .min else { throw fail("the number does not fit in Int64", at: start) }
        return .int(-v)
    }

    mutating func hex4() throws(Failure) -> UInt32 {
        guard bytes.count - i >= 4, let b = Hex.decode(String(decoding: bytes[i..<i + 4], as: UTF8.self)) else {
            throw fail("expected four hex digits after \\u")
        }
        i += 4
        return UInt32(b[0]) << 8 | UInt32(b[1])
    }

    mutating func string() throws(Failure) -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            if c < 0x20 { throw fail("a control character in a string must be escaped") }
            i += 1
            if c == UInt8(ascii: "\"") {
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("the string is not UTF-8", at: start) }
                return s
            }
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                continue
            }
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xd800..<0xdc00).contains(scalar), lit("\\u") {
                    let low = try hex4()
                    guard (0xdc00..<0xe000).contains(low) else { throw fail("a lone surrogate in \\u escapes", at: i - 12) }
                    scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("a lone surrogate in a \\u escape", at: i - 6) }
                out += Array(String(Character(u)).utf8)
            default: throw fail("an unknown escape '\\\(String(UnicodeScalar(e)))'", at: i - 2)
            }
        }
        throw fail("unterminated string", at: start)
    }
}
