/// What a notice's text may hold. Every string in a body (member names, accounts, references,
/// nonces, contract parameters and the keys of its objects) is refused when it carries a control
/// character (U+0000 to U+001F, U+007F to U+009F), a bidirectional formatting character (U+061C,
/// U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069) or a line or paragraph separator (U+2028,
/// U+2029). Such characters reach CSV cells, XML, terminals and auditors' screens, where they
/// hide or reorder what was signed. A contract's `source` may also hold line feeds and tabs.
/// Exports can then write every field as it stands.
enum NoticeText {
    /// The first forbidden character of `s`, as `U+XXXX` and its byte offset; nil when there is none.
    static func forbidden(in s: String, allowingLayout: Bool = false) -> (scalar: String, offset: Int)? {
        var offset = 0
        for u in s.unicodeScalars {
            let v = u.value
            let bad: Bool
            switch v {
            case 0x0A, 0x09: bad = !allowingLayout
            case 0x00...0x1F, 0x7F...0x9F: bad = true
            case 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: bad = true
            default: bad = false
            }
            if bad {
                let hex = String(v, radix: 16, uppercase: true)
                return ("U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex, offset)
            }
            offset += UTF8.width(u)
        }
        return nil
    }

    /// Checks every string and object key of a notice body, naming the JSON path of the first bad
    /// one (`base` is the body's own path). The path is written only for an error; nesting is
    /// bounded by the parser's depth limit.
    static func check(body: JSONValue, base: String) throws(CairnError) {
        guard let (path, scalar, offset) = firstForbidden(body, isSource: false) else { return }
        let at = base + path.reversed().joined()
        throw CairnError(
            .invalidField, "\(at): control, bidirectional or separator character \(scalar) at byte \(offset); notices carry plain text only"
        )
    }

    /// The first forbidden character under `value`: its path, innermost component first.
    private static func firstForbidden(_ value: JSONValue, isSource: Bool, depth: Int = 0) -> (
        path: [String], scalar: String, offset: Int
    )? {
        switch value {
        case .string(let s):
            return forbidden(in: s, allowingLayout: isSource).map { ([], $0.scalar, $0.offset) }
        case .array(let a):
            for (i, v) in a.enumerated() {
                if var found = firstForbidden(v, isSource: false, depth: depth + 1) {
                    found.path.append("[\(i)]")
                    return found
                }
            }
        case .object(let o):
            for m in o.members {
                if let (scalar, offset) = forbidden(in: m.key) { return ([" (an object key)"], scalar, offset) }
                if var found = firstForbidden(m.value, isSource: depth == 0 && m.key == "source", depth: depth + 1) {
                    found.path.append(".\(m.key)")
                    return found
                }
            }
        case .null, .bool, .number:
            break
        }
        return nil
    }
}
