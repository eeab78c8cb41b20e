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
    public static func parse(_ text: String) -> JSON? {
        var p = JSONReader(bytes: Array(text.utf8))
        guard let v = p.value(depth: 0) else { return nil }
        p.space()
        return p.i == p.bytes.count ? v : nil
    }
}

private struct JSONReader {
    let bytes: [UInt8]
    var i = 0

    mutating func space() { while i < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[i]) { i += 1 } }

    mutating func lit(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard bytes.count - i >= u.count, Array(bytes[i..<i + u.count]) == u else { return false }
        i += u.count
        return true
    }

    mutating func value(depth: Int) -> JSON? {
        guard depth < 64 else { return nil }
        space()
        guard i < bytes.count else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "n"): return lit("null") ? .null : nil
        case UInt8(ascii: "t"): return lit("true") ? .bool(true) : nil
        case UInt8(ascii: "f"): return lit("false") ? .bool(false) : nil
        case UInt8(ascii: "\""): return string().map(JSON.string)
        case UInt8(ascii: "["):
            i += 1
            var out: [JSON] = []
            space()
            if lit("]") { return .array(out) }
            while true {
                guard let v = value(depth: depth + 1) else { return nil }
                out.append(v)
                space()
                if lit(",") { continue }
                return lit("]") ? .array(out) : nil
            }
        case UInt8(ascii: "{"):
            i += 1
            var out: [(String, JSON)] = []
            space()
            if lit("}") { return .object(out) }
            while true {
                space()
                guard let k = string() else { return nil }
                space()
                guard lit(":"), let v = value(depth: depth + 1) else { return nil }
                out.append((k, v))
                space()
                if lit(",") { continue }
                return lit("}") ? .object(out) : nil
            }
        default:
            var neg = false
            if bytes[i] == UInt8(ascii: "-") {
                neg = true
                i += 1
            }
            var v: Int64 = 0
            let s = i
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                let (m, o1) = v.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] - 0x30))
                if o1 || o2 { return nil }
                v = a
                i += 1
            }
            return i > s ? .int(neg ? -v : v) : nil
        }
    }

    mutating func string() -> String? {
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            i += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                guard i < bytes.count else { return nil }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "u"):
                    guard bytes.count - i >= 4, let b = Hex.decode(String(decoding: bytes[i..<i + 4], as: UTF8.self)) else { return nil }
                    i += 4
                    let scalar = UInt32(b[0]) << 8 | UInt32(b[1])
                    guard let u = Unicode.Scalar(scalar) else { return nil }
                    out += Array(String(Character(u)).utf8)
                default: out.append(e)
                }
            } else {
                out.append(c)
            }
        }
        return nil
    }
}
