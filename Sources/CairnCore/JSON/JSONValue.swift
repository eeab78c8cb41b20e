/// A parsed JSON value.
///
/// Numbers are IEEE-754 doubles (the I-JSON / RFC 8785 number model). Values produced by
/// `JSON.parse` always hold finite numbers and objects with unique keys; values built in code
/// must keep those invariants too, or `JSON.canonical` traps.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

// MARK: - Accessors

extension JSONValue {
    /// The string payload, or `nil` if this is not a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The object payload, or `nil` if this is not an object.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The array payload, or `nil` if this is not an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The boolean payload, or `nil` if this is not a boolean.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    /// The number payload, or `nil` if this is not a number.
    public var doubleValue: Double? {
        if case .number(let d) = self { return d }
        return nil
    }

    /// The number as an `Int64`, only if it is integral and within the exactly representable
    /// range `-(2^53 - 1) ... 2^53 - 1` (JavaScript's safe integers). Otherwise `nil`.
    public var int64Value: Int64? {
        guard case .number(let d) = self else { return nil }
        let maxSafe = 9_007_199_254_740_991.0
        guard d.rounded(.towardZero) == d, d.magnitude <= maxSafe else { return nil }
        return Int64(d)
    }

    /// `true` if this is `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    /// Builds an object keeping the literal's member order.
    /// - Precondition: keys are unique (compared by UTF-8 bytes).
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

// MARK: - JSONObject

/// A JSON object: members in insertion (input) order, keys unique.
///
/// Keys are compared by their exact UTF-8 bytes (equivalently, UTF-16 code units), never with
/// Swift `String ==`, which applies canonical equivalence (`"\u{E9}" == "e\u{301}"` in Swift, but
/// they are distinct JSON keys).
public struct JSONObject: Sendable, Equatable {
    /// Members in order. Invariant: no two keys have identical UTF-8 bytes.
    /// Mutating this directly is allowed but the caller must keep the invariant.
    public var members: [(key: String, value: JSONValue)]

    /// - Precondition: keys are unique (compared by UTF-8 bytes).
    public init(_ members: [(key: String, value: JSONValue)] = []) {
        precondition(firstDuplicateKeyIndex(members) == nil, "JSONObject: duplicate key")
        self.members = members
    }

    /// Trusted initializer used by the parser, which has already checked uniqueness.
    init(uncheckedMembers members: [(key: String, value: JSONValue)]) {
        self.members = members
    }

    /// The keys in member order.
    public var keys: [String] { members.map(\.key) }

    /// Number of members.
    public var count: Int { members.count }

    /// Byte-exact key lookup. Setting a value replaces an existing member in place or appends a
    /// new one; setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = index(of: key) else { return nil }
            return members[i].value
        }
        set {
            let i = index(of: key)
            switch (i, newValue) {
            case (let i?, let v?): members[i].value = v
            case (let i?, nil): members.remove(at: i)
            case (nil, let v?): members.append((key: key, value: v))
            case (nil, nil): break
            }
        }
    }

    /// Index of the member whose key has exactly the UTF-8 bytes of `key`.
    public func index(of key: String) -> Int? {
        members.firstIndex { utf8Equal($0.key, key) }
    }

    /// Order-sensitive equality: same keys (byte-exact) and equal values, in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (a, b) in zip(lhs.members, rhs.members) {
            guard utf8Equal(a.key, b.key), a.value == b.value else { return false }
        }
        return true
    }
}

// MARK: - JSONError

/// A parse or canonical-form error with its position in the input.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case syntax, duplicateKey, invalidUTF8, loneSurrogate, numberOutOfRange, tooDeep, trailingData, notCanonical
    }

    public var code: Code
    /// Human-readable detail, e.g. `duplicate key "amount"`.
    public var message: String
    /// 1-based line number; lines are terminated by LF (0x0A).
    public var line: Int
    /// 1-based column, counted in Unicode scalars from the start of the line.
    public var column: Int
    /// 0-based byte offset into the input.
    public var offset: Int

    public init(code: Code, message: String, line: Int, column: Int, offset: Int) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// `"line 3, column 7: duplicate key \"amount\""`
    public var description: String { "line \(line), column \(column): \(message)" }
}

extension JSONError {
    /// Builds an error at byte `offset` of `input`, computing line and column.
    /// - Precondition: `input[..<offset]` is valid UTF-8 (true for every error the parser raises,
    ///   since bytes are validated before the position moves past them).
    init(_ code: Code, _ message: String, at offset: Int, in input: UnsafeBufferPointer<UInt8>) {
        var line = 1
        var column = 1
        for b in input[..<min(offset, input.count)] {
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        self.init(code: code, message: message, line: line, column: column, offset: offset)
    }
}
