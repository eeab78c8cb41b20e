/// A value a contract computes with. Parameters and action arguments arrive as these.
public enum ScriptValue: Sendable, Equatable {
    /// A member name.
    case party(String)
    /// `"<member>/<label>"`; its owner is the part before the first `/`.
    case account(String)
    /// Checked `Int64` minor units.
    case amount(Int64)
    /// Block time: `Int64` seconds since the epoch.
    case time(Int64)
    /// Raw bytes (a `hash` parameter, a preimage argument).
    case bytes([UInt8])
    case int(Int64)
    case currency(String)
    /// Only computed inside a contract (comparisons); never a parameter or argument.
    case bool(Bool)

    var typeName: String {
        switch self {
        case .party: "party"
        case .account: "account"
        case .amount: "amount"
        case .time: "time"
        case .bytes: "hash"
        case .int: "int"
        case .currency: "currency"
        case .bool: "bool"
        }
    }

    /// The text the report, the conformance driver and error messages show.
    public var text: String {
        switch self {
        case .party(let s), .account(let s), .currency(let s): s
        case .amount(let v), .time(let v), .int(let v): String(v)
        case .bytes(let b): Hex.encode(b)
        case .bool(let b): b ? "true" : "false"
        }
    }
}

/// The declared type of a parameter or an action argument.
public enum ParamType: String, Sendable, CaseIterable {
    case party, account, amount, time, hash, int, currency

    /// Whether a value may be bound to a name of this type. An `int` is accepted for `amount` and
    /// `time` (JSON and literals carry no unit).
    func admits(_ v: ScriptValue) -> ScriptValue? {
        switch (self, v) {
        case (.party, .party), (.account, .account), (.amount, .amount), (.time, .time), (.hash, .bytes), (.int, .int),
            (.currency, .currency):
            return v
        case (.amount, .int(let n)): return .amount(n)
        case (.time, .int(let n)): return .time(n)
        default: return nil
        }
    }
}

/// Every error of the language: parse, check and run time. `code` is stable; `line` and `column`
/// (1-based) point into the contract source. Errors that concern no construct (a malformed state)
/// point at 1:1.
public struct ScriptError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var line: Int
    public var column: Int

    public init(_ code: String, _ message: String, line: Int, column: Int) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column): \(code): \(message)" }
}

/// A source position, 1-based.
struct Pos: Sendable, Equatable, Comparable, CustomStringConvertible {
    var line: Int
    var column: Int
    static let start = Pos(line: 1, column: 1)
    static func < (a: Pos, b: Pos) -> Bool { (a.line, a.column) < (b.line, b.column) }
    var description: String { "\(line):\(column)" }
}

enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}

/// Every error of one `compile`, in source order. `Result` needs an `Error` failure type, so this
/// wraps `[ScriptError]`; it is a random-access collection of them (`count`, subscripts, `map`).
public struct ScriptErrors: Error, Sendable, Equatable, RandomAccessCollection, CustomStringConvertible {
    public var errors: [ScriptError]
    public init(_ errors: [ScriptError]) { self.errors = errors }
    public var startIndex: Int { errors.startIndex }
    public var endIndex: Int { errors.endIndex }
    public subscript(i: Int) -> ScriptError { errors[i] }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
