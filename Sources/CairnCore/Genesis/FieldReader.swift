/// Reads the fields of one JSON object strictly, naming the JSON path of anything wrong:
/// `$.members[2].keys[0]: ...`. Unknown fields are refused by `finish()`.
public struct FieldReader {
    public let object: JSONObject
    private let base: String
    private let element: Int?
    /// The members read so far, by position in `object`: the first 64 as bits (no allocation for
    /// the objects a notice has), the rest in an array.
    private var read: UInt64 = 0
    private var readBeyond: [Bool]

    /// Reads `value` at `path`, or at `path[element]` when it is an array's element: that path is
    /// written out only for an error.
    public init(_ value: JSONValue, path: String = "$", element: Int? = nil) throws(CairnError) {
        guard case .object(let o) = value else {
            throw CairnError(.invalidField, "\(FieldReader.path(path, element)): expected an object")
        }
        base = path
        self.element = element
        self.object = o
        readBeyond = o.count > 64 ? Array(repeating: false, count: o.count - 64) : []
    }

    public var path: String { FieldReader.path(base, element) }

    private static func path(_ base: String, _ element: Int?) -> String { element.map { "\(base)[\($0)]" } ?? base }

    public func fail(_ key: String, _ what: String, code: CairnError.Code = .invalidField) -> CairnError {
        CairnError(code, "\(path).\(key): \(what)")
    }

    public mutating func optional(_ key: String) -> JSONValue? {
        guard let i = object.index(of: key) else { return nil }
        if i < 64 { read |= 1 << UInt64(i) } else { readBeyond[i - 64] = true }
        return object.members[i].value
    }

    public mutating func value(_ key: String) throws(CairnError) -> JSONValue {
        guard let v = optional(key) else { throw fail(key, "missing") }
        return v
    }

    public mutating func string(_ key: String) throws(CairnError) -> String {
        guard case .string(let s) = try value(key) else { throw fail(key, "expected a string") }
        return s
    }

    public mutating func optionalString(_ key: String) throws(CairnError) -> String? {
        guard let v = optional(key) else { return nil }
        guard case .string(let s) = v else { throw fail(key, "expected a string") }
        return s
    }

    public mutating func int(_ key: String) throws(CairnError) -> Int64 {
        guard case .number(let d) = try value(key), let i = JSONValue.number(d).int64Value else {
            throw fail(key, "expected an integer")
        }
        return i
    }

    public mutating func array(_ key: String) throws(CairnError) -> [JSONValue] {
        guard case .array(let a) = try value(key) else { throw fail(key, "expected an array") }
        return a
    }

    public mutating func optionalArray(_ key: String) throws(CairnError) -> [JSONValue]? {
        guard let v = optional(key) else { return nil }
        guard case .array(let a) = v else { throw fail(key, "expected an array") }
        return a
    }

    public mutating func strings(_ key: String, optional isOptional: Bool = false) throws(CairnError) -> [String] {
        guard let items = isOptional ? try optionalArray(key) : try array(key) else { return [] }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else { throw fail("\(key)[\(i)]", "expected a string") }
            out.append(s)
        }
        return out
    }

    public mutating func timestamp(_ key: String) throws(CairnError) -> Timestamp {
        let s = try string(key)
        guard let t = Timestamp(rfc3339: s) else { throw fail(key, "\"\(s)\" is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)") }
        return t
    }

    /// Refuses fields that were never read.
    public func finish() throws(CairnError) {
        let unread = object.count < 64 ? ~read & (1 << UInt64(object.count) - 1) : ~read
        if unread != 0 { throw fail(object.members[unread.trailingZeroBitCount].key, "unknown field") }
        if let i = readBeyond.firstIndex(of: false) { throw fail(object.members[64 + i].key, "unknown field") }
    }
}
