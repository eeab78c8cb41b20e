/// One token of contract source.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case ident(String)
        case int(Int64)
        case hex([UInt8])
        case string(String)
        /// Punctuation and operators: `{ } ( ) , : = == != < <= > >= + - * /`.
        case sym(String)
        case end
    }
    var kind: Kind
    var pos: Pos

    var isEnd: Bool { kind == .end }
    func isSym(_ s: String) -> Bool { kind == .sym(s) }
    func isWord(_ w: String) -> Bool { kind == .ident(w) }

    var display: String {
        switch kind {
        case .ident(let s): "'\(s)'"
        case .int(let v): "'\(v)'"
        case .hex(let b): "'0x\(Hex.encode(b))'"
        case .string(let s): "'\"\(s)\"'"
        case .sym(let s): "'\(s)'"
        case .end: "end of source"
        }
    }
}

/// Splits source into tokens. Comments run from `//` to the end of the line. Lexical errors
/// (a stray character, an unterminated string, an integer past `Int64`) are collected and the
/// lexer goes on, so one run reports several. It never recurses: each call of `next` is a loop
/// over the bytes, so a source of stray characters costs one step per byte.
struct Lexer {
    private let bytes: [UInt8]
    private var i = 0
    private var line = 1
    private var lineStart = 0
    private(set) var errors: [ScriptError] = []
    /// Tokens and stray characters seen: the lexer's share of `Contract.compileCountingWork` (each also
    /// consumes at least one byte, so it never exceeds the source size plus one).
    private(set) var work = 0

    init(_ source: String) { bytes = Array(source.utf8) }

    private var pos: Pos { Pos(line: line, column: i - lineStart + 1) }

    private static func isIdentStart(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c == 0x5f }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46) }

    mutating func tokens() -> [Token] {
        var out: [Token] = []
        while true {
            let t = next()
            out.append(t)
            if t.isEnd { return out }
        }
    }

    private mutating func next() -> Token {
        while true {
            work += 1
            if let t = token() { return t }
        }
    }

    /// The next token, or nil after skipping a stray character (recorded as `bad_token`).
    private mutating func token() -> Token? {
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x0a {
                i += 1
                line += 1
                lineStart = i
            } else if c == 0x20 || c == 0x09 || c == 0x0d {
                i += 1
            } else if c == 0x2f, i + 1 < bytes.count, bytes[i + 1] == 0x2f {
                while i < bytes.count, bytes[i] != 0x0a { i += 1 }
            } else {
                break
            }
        }
        let start = pos
        guard i < bytes.count else { return Token(kind: .end, pos: start) }
        let c = bytes[i]
        if Self.isIdentStart(c) {
            let s = i
            while i < bytes.count, Self.isIdentStart(bytes[i]) || Self.isDigit(bytes[i]) { i += 1 }
            return Token(kind: .ident(String(decoding: bytes[s..<i], as: UTF8.self)), pos: start)
        }
        if c == 0x30, i + 1 < bytes.count, bytes[i + 1] == 0x78 {
            i += 2
            let s = i
            while i < bytes.count, Self.isHexDigit(bytes[i]) { i += 1 }
            let text = String(decoding: bytes[s..<i], as: UTF8.self)
            guard let b = Hex.decode(text), !b.isEmpty else {
                errors.append(ScriptError(.badToken, "a hex literal needs an even, non-zero number of digits", at: start))
                return Token(kind: .hex([]), pos: start)
            }
            return Token(kind: .hex(b), pos: start)
        }
        if Self.isDigit(c) {
            var v: Int64 = 0
            var overflow = false
            while i < bytes.count, Self.isDigit(bytes[i]) || bytes[i] == 0x5f {
                if bytes[i] != 0x5f {
                    let (m, o1) = v.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(Int64(bytes[i] - 0x30))
                    overflow = overflow || o1 || o2
                    v = a
                }
                i += 1
            }
            if overflow {
                errors.append(ScriptError(.overflow, "integer literal does not fit in Int64", at: start))
                v = 0
            }
            return Token(kind: .int(v), pos: start)
        }
        if c == 0x22 {
            i += 1
            let s = i
            while i < bytes.count, bytes[i] != 0x22, bytes[i] != 0x0a { i += 1 }
            guard i < bytes.count, bytes[i] == 0x22 else {
                errors.append(ScriptError(.badToken, "unterminated string", at: start))
                return Token(kind: .string(String(decoding: bytes[s..<i], as: UTF8.self)), pos: start)
            }
            let text = String(decoding: bytes[s..<i], as: UTF8.self)
            i += 1
            return Token(kind: .string(text), pos: start)
        }
        let two = i + 1 < bytes.count ? String(decoding: bytes[i...i + 1], as: UTF8.self) : ""
        if ["==", "!=", "<=", ">="].contains(two) {
            i += 2
            return Token(kind: .sym(two), pos: start)
        }
        let one = String(decoding: [c], as: UTF8.self)
        if "{}(),:=<>+-*/".utf8.contains(c) {
            i += 1
            return Token(kind: .sym(one), pos: start)
        }
        // Skip one whole UTF-8 scalar so a multi-byte character is one error.
        i += 1
        while i < bytes.count, bytes[i] & 0xc0 == 0x80 { i += 1 }
        errors.append(ScriptError(.badToken, "unexpected character", at: start))
        return nil
    }
}
