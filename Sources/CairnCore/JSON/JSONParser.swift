/// Strict RFC 8259 parser over a contiguous byte buffer.
///
/// Rejects (with the matching `JSONError.Code`): malformed syntax and a leading BOM (`.syntax`),
/// invalid UTF-8 anywhere (`.invalidUTF8`, RFC 3629: no overlongs, no encoded surrogates, nothing
/// above U+10FFFF), unpaired `\u` surrogate escapes (`.loneSurrogate`), byte-identical duplicate
/// keys (`.duplicateKey`), numbers that overflow a Double (`.numberOutOfRange`), nesting deeper
/// than `maxDepth` (`.tooDeep`) and non-whitespace after the value (`.trailingData`).
///
/// The parser is recursive; its stack use is bounded by `maxDepth` frames.
struct JSONParser {
    private let input: UnsafeBufferPointer<UInt8>
    private let maxDepth: Int
    private var pos = 0
    /// Reused buffer for decoding strings that contain escapes.
    private var scratch: [UInt8] = []

    /// - Precondition: `maxDepth >= 0`. Keep it modest (hundreds, not millions): each level
    ///   uses a stack frame.
    init(_ input: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        precondition(maxDepth >= 0, "maxDepth must be non-negative")
        self.input = input
        self.maxDepth = maxDepth
    }

    /// Parses exactly one JSON value surrounded by optional whitespace.
    mutating func parseDocument() throws(JSONError) -> JSONValue {
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF {
            throw error(.syntax, "byte order mark is not allowed", at: 0)
        }
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if pos < input.count {
            if let e = invalidUTF8Error(at: pos) { throw e }
            throw error(.trailingData, "unexpected data after JSON value", at: pos)
        }
        return value
    }

    // MARK: Values

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        skipWhitespace()
        guard pos < input.count else { throw error(.syntax, "unexpected end of input", at: pos) }
        switch input[pos] {
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        default:
            throw unexpectedByte(expecting: "a value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let start = pos
        let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for b in bytes {
            guard pos < input.count, input[pos] == b else {
                throw error(.syntax, "invalid literal, expected '\(literal)'", at: start)
            }
            pos += 1
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else { throw error(.tooDeep, "nesting deeper than \(maxDepth)", at: pos) }
        pos += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if pos < input.count, input[pos] == UInt8(ascii: "]") {
            pos += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < input.count else { throw error(.syntax, "unterminated array", at: pos) }
            switch input[pos] {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "]"):
                pos += 1
                return .array(elements)
            default: throw unexpectedByte(expecting: "',' or ']'")
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= maxDepth else { throw error(.tooDeep, "nesting deeper than \(maxDepth)", at: pos) }
        pos += 1  // {
        var members: [(key: String, value: JSONValue)] = []
        var seen: Set<UTF8Key>? = nil  // built once the object outgrows a linear scan
        skipWhitespace()
        if pos < input.count, input[pos] == UInt8(ascii: "}") {
            pos += 1
            return .object(JSONObject(uncheckedMembers: members))
        }
        members.reserveCapacity(8)  // skips the 1-2-4-8 growth steps for typical objects
        while true {
            skipWhitespace()
            guard pos < input.count, input[pos] == UInt8(ascii: "\"") else {
                throw unexpectedByte(expecting: "a string key")
            }
            let keyOffset = pos
            let key = try parseString()
            if isDuplicate(key, in: members, seen: &seen) {
                throw error(.duplicateKey, "duplicate key \(quoted(key))", at: keyOffset)
            }
            skipWhitespace()
            guard pos < input.count, input[pos] == UInt8(ascii: ":") else {
                throw unexpectedByte(expecting: "':'")
            }
            pos += 1
            let value = try parseValue(depth: depth)
            members.append((key: key, value: value))
            skipWhitespace()
            guard pos < input.count else { throw error(.syntax, "unterminated object", at: pos) }
            switch input[pos] {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "}"):
                pos += 1
                return .object(JSONObject(uncheckedMembers: members))
            default: throw unexpectedByte(expecting: "',' or '}'")
            }
        }
    }

    /// Byte-exact duplicate check: linear for small objects, hashed beyond that.
    private func isDuplicate(
        _ key: String, in members: [(key: String, value: JSONValue)], seen: inout Set<UTF8Key>?
    ) -> Bool {
        if seen == nil {
            if members.count < linearKeyScanLimit {
                return members.contains { utf8Equal($0.key, key) }
            }
            seen = Set(members.map { UTF8Key(string: $0.key) })
        }
        return !seen!.insert(UTF8Key(string: key)).inserted
    }

    // MARK: Strings

    /// Parses a string starting at the opening quote; returns the decoded value.
    private mutating func parseString() throws(JSONError) -> String {
        pos += 1  // opening quote
        let start = pos
        // Fast path: no escapes, so the raw (validated) bytes are the value.
        while true {
            pos = firstSpecialByte(in: input, from: pos, stopAtNonASCII: true)
            guard pos < input.count else { break }
            let b = input[pos]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: input[start..<pos]), as: UTF8.self)
                pos += 1
                return s
            } else if b == UInt8(ascii: "\\") {
                return try parseEscapedString(from: start)
            } else if b < 0x20 {
                throw error(.syntax, "unescaped control character in string", at: pos)
            } else {
                pos += try utf8SequenceLength(at: pos)
            }
        }
        throw error(.syntax, "unterminated string", at: start - 1)
    }

    /// Slow path: `input[start..<pos]` is already validated and escape-free; `pos` is at a backslash.
    private mutating func parseEscapedString(from start: Int) throws(JSONError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: input[start..<pos])
        while pos < input.count {
            let b = input[pos]
            if b == UInt8(ascii: "\"") {
                pos += 1
                return String(decoding: scratch, as: UTF8.self)
            } else if b == UInt8(ascii: "\\") {
                try parseEscape()
            } else if b < 0x20 {
                throw error(.syntax, "unescaped control character in string", at: pos)
            } else if b < 0x80 {
                scratch.append(b)
                pos += 1
            } else {
                let n = try utf8SequenceLength(at: pos)
                scratch.append(contentsOf: input[pos..<pos + n])
                pos += n
            }
        }
        throw error(.syntax, "unterminated string", at: start - 1)
    }

    /// Decodes one escape at `pos` (a backslash) into `scratch`.
    private mutating func parseEscape() throws(JSONError) {
        let escapeStart = pos
        guard pos + 1 < input.count else { throw error(.syntax, "unterminated string", at: pos) }
        let c = input[pos + 1]
        pos += 2
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(c)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try parseHex4())
            if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw error(.loneSurrogate, "unpaired low surrogate escape", at: escapeStart)
            }
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                guard pos + 1 < input.count, input[pos] == UInt8(ascii: "\\"), input[pos + 1] == UInt8(ascii: "u")
                else { throw error(.loneSurrogate, "unpaired high surrogate escape", at: escapeStart) }
                pos += 2
                let low = UInt32(try parseHex4())
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw error(.loneSurrogate, "unpaired high surrogate escape", at: escapeStart)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            appendUTF8(scalar)
        default:
            throw error(.syntax, "invalid escape sequence", at: escapeStart)
        }
    }

    private mutating func parseHex4() throws(JSONError) -> UInt16 {
        guard pos + 4 <= input.count else { throw error(.syntax, "invalid \\u escape", at: pos) }
        var v: UInt16 = 0
        for i in pos..<pos + 4 {
            let b = input[i]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: throw error(.syntax, "invalid \\u escape", at: i)
            }
            v = v << 4 | UInt16(d)
        }
        pos += 4
        return v
    }

    /// - Precondition: `scalar` is a Unicode scalar value (not a surrogate, <= 0x10FFFF).
    private mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    // MARK: UTF-8

    /// Length of the well-formed (RFC 3629) UTF-8 sequence starting at `offset`, which holds a
    /// byte >= 0x80; throws `.invalidUTF8` otherwise.
    private func utf8SequenceLength(at offset: Int) throws(JSONError) -> Int {
        let b0 = input[offset]
        let n: Int
        var lo: UInt8 = 0x80  // allowed range of the second byte
        var hi: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: n = 2
        case 0xE0:
            n = 3
            lo = 0xA0  // no overlongs
        case 0xE1...0xEC, 0xEE...0xEF: n = 3
        case 0xED:
            n = 3
            hi = 0x9F  // no UTF-16 surrogates
        case 0xF0:
            n = 4
            lo = 0x90  // no overlongs
        case 0xF1...0xF3: n = 4
        case 0xF4:
            n = 4
            hi = 0x8F  // <= U+10FFFF
        default: throw invalidUTF8(b0, at: offset)
        }
        guard offset + n <= input.count else {
            throw error(.invalidUTF8, "truncated UTF-8 sequence", at: offset)
        }
        let b1 = input[offset + 1]
        guard b1 >= lo && b1 <= hi else { throw invalidUTF8(b0, at: offset) }
        for i in offset + 2..<offset + n where input[i] & 0xC0 != 0x80 {
            throw invalidUTF8(b0, at: offset)
        }
        return n
    }

    private func invalidUTF8(_ lead: UInt8, at offset: Int) -> JSONError {
        error(.invalidUTF8, "invalid UTF-8 sequence starting with byte 0x\(hex(lead))", at: offset)
    }

    /// `.invalidUTF8` error if the bytes at `offset` are not well-formed UTF-8, else `nil`.
    private func invalidUTF8Error(at offset: Int) -> JSONError? {
        guard input[offset] >= 0x80 else { return nil }
        do throws(JSONError) {
            _ = try utf8SequenceLength(at: offset)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Numbers

    /// Parses an RFC 8259 number: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    private mutating func parseNumber() throws(JSONError) -> Double {
        let start = pos
        let negative = input[pos] == UInt8(ascii: "-")
        if negative { pos += 1 }

        var mantissa: UInt64 = 0
        var significantDigits = 0  // digits accumulated into `mantissa` (ignoring leading zeros)
        var droppedDigits = false  // more than 19 significant digits: use the slow path
        var decimalExponent = 0  // value == mantissa * 10^decimalExponent unless droppedDigits

        @inline(__always) func accumulate(_ d: UInt8) {
            if significantDigits < 19 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa != 0 { significantDigits += 1 }
            } else {
                droppedDigits = true
            }
        }

        // Integer part.
        guard pos < input.count, isDigit(input[pos]) else {
            throw error(.syntax, "invalid number", at: start)
        }
        if input[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < input.count, isDigit(input[pos]) {
                throw error(.syntax, "leading zeros are not allowed", at: start)
            }
        } else {
            while pos < input.count, isDigit(input[pos]) {
                accumulate(input[pos] - UInt8(ascii: "0"))
                pos += 1
            }
        }
        // Fraction.
        if pos < input.count, input[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < input.count, isDigit(input[pos]) else {
                throw error(.syntax, "expected digit after decimal point", at: pos)
            }
            while pos < input.count, isDigit(input[pos]) {
                accumulate(input[pos] - UInt8(ascii: "0"))
                decimalExponent -= 1  // only used when no digit was dropped
                pos += 1
            }
        }
        // Exponent.
        if pos < input.count, input[pos] | 0x20 == UInt8(ascii: "e") {
            pos += 1
            var expNegative = false
            if pos < input.count, input[pos] == UInt8(ascii: "+") || input[pos] == UInt8(ascii: "-") {
                expNegative = input[pos] == UInt8(ascii: "-")
                pos += 1
            }
            guard pos < input.count, isDigit(input[pos]) else {
                throw error(.syntax, "expected digit in exponent", at: pos)
            }
            var exp = 0
            while pos < input.count, isDigit(input[pos]) {
                exp = min(exp * 10 + Int(input[pos] - UInt8(ascii: "0")), 1_000_000)
                pos += 1
            }
            decimalExponent += expNegative ? -exp : exp
        }

        // Clinger's fast path: exact mantissa and power of ten, one correctly rounded operation.
        var value: Double
        if !droppedDigits, mantissa <= 1 << 53, decimalExponent >= -22, decimalExponent <= 22 {
            value = Double(mantissa)
            if decimalExponent < 0 {
                value /= powersOfTen[-decimalExponent]
            } else {
                value *= powersOfTen[decimalExponent]
            }
            if negative { value = -value }
        } else {
            let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<pos]), as: UTF8.self)
            value = Double(text) ?? .nan  // the grammar was checked above; nil cannot happen
        }
        guard value.isFinite else {
            throw error(.numberOutOfRange, "number is out of the range of a double", at: start)
        }
        return value
    }

    // MARK: Helpers

    @inline(__always)
    private mutating func skipWhitespace() {
        while pos < input.count {
            switch input[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    private func unexpectedByte(expecting what: String) -> JSONError {
        guard pos < input.count else { return error(.syntax, "unexpected end of input, expected \(what)", at: pos) }
        if let e = invalidUTF8Error(at: pos) { return e }
        let b = input[pos]
        let shown = b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(hex(b))"
        return error(.syntax, "unexpected \(shown), expected \(what)", at: pos)
    }

    private func error(_ code: JSONError.Code, _ message: String, at offset: Int) -> JSONError {
        JSONError(code, message, at: offset, in: input)
    }
}

@inline(__always)
private func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

private let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

func hex(_ b: UInt8) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    return String(decoding: [digits[Int(b >> 4)], digits[Int(b & 0xF)]], as: UTF8.self)
}

/// `"key"` with control characters and quotes escaped, for error messages.
func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\u{0}"..."\u{1F}": out += "\\u00" + hex(UInt8(scalar.value)).lowercased()
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
