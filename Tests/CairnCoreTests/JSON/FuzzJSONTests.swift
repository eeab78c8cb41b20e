import CairnCore
import CairnFuzzSupport
import Foundation
import Testing

/// A seeded fuzz of the strict JSON parser and the RFC 8785 (JCS) writer. Nothing may crash, and:
/// - a refused input is refused with a position inside it (line and column from 1, the offset
///   within the bytes);
/// - an accepted input canonicalizes to bytes that parse back to the same value (its members in
///   canonical order, sorted here by a slow reference) and canonicalize
///   to themselves (decode then encode gives identical bytes), and `requireCanonical` accepts the
///   input exactly when it is those bytes;
/// - structure-aware edits get the verdict they must: a duplicated member is `.duplicateKey`,
///   nesting 10,000 deep is `.tooDeep`, a number beyond a double is `.numberOutOfRange`, a lone
///   surrogate escape is `.loneSurrogate`, any respelling of a value (whitespace, escapes, number
///   forms, member order) has the same canonical bytes.
@Suite struct FuzzJSONTests {
    static let seeds: [String] = [
        #"{"a":[1,-2.5,true,false,null,"x\n\u00e9\ud83d\ude00"],"b":{},"c":""}"#,
        #"{"kind":"transfer","from":"bank-a.example/eur","to":"bank-b.example/eur","amount":"1250.00","currency":"EUR","refs":[],"nonce":"n1","createdAt":"2026-03-01T00:00:00Z","expiresAt":"2026-03-02T00:00:00Z"}"#,
        #"[1e21,1e-7,0.1,-0,123456789012345678901234567890,5e-324,1.7976931348623157e308,9007199254740993]"#,
        #"{"\u20ac":1,"\r":2,"\ufb33":3,"1":4,"\u0080":5,"\ud83d\ude00":6,"\u00f6":7,"":8}"#,
        "  \"plain string with \\\"escapes\\\" and \\\\ \\/ \\b \\f \\t\"  ",
        "[[[[[[[[{\"deep\":[[[[[[[[]]]]]]]]}]]]]]]]]",
    ]

    static let tokens: [[UInt8]] = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "\\udc00", "\\u0000", "-", "0", "1", ".", "e", "E+", "e-",
        "1e400", "-1e-400", "00", "true", "false", "null", "nul", " ", "\t", "\r", "\n", "\u{feff}", "\u{0}", "\u{1f}",
        "\"a\":", "\"a\":1,", "99999999999999999999999", "\u{e9}", "e\u{301}", "\u{1f600}",
    ].map { Array($0.utf8) }

    static let iterations = 3_000

    /// Parses `bytes` and checks everything a parsed or refused input must satisfy. Returns the
    /// value when it parses.
    @discardableResult
    static func check(_ bytes: [UInt8], _ context: @autoclosure () -> String) -> JSONValue? {
        let value: JSONValue
        do {
            value = try JSON.parse(bytes)
        } catch {
            #expect(error.line >= 1 && error.column >= 1, "\(error) \(context())")
            #expect(error.offset >= 0 && error.offset <= bytes.count, "\(error) \(context())")
            #expect(error.code != .notCanonical, "\(context())")
            return nil
        }
        let canonical = JSON.canonical(value)
        let reparsed = try? JSON.parse(canonical)
        #expect(reparsed.map(Self.sorted) == Self.sorted(value), "canonical bytes parse to another value: \(context())")
        #expect(reparsed.map(JSON.canonical) == canonical, "canonicalizing is not idempotent: \(context())")
        let strict = Result { () throws(JSONError) in try JSON.requireCanonical(bytes) }
        switch strict {
        case .success(let v): #expect(bytes == canonical && v == value, "requireCanonical took non-canonical bytes: \(context())")
        case .failure(let e):
            #expect(bytes != canonical, "requireCanonical refused canonical bytes (\(e)): \(context())")
            #expect(e.code == .notCanonical, "\(context())")
        }
        return value
    }

    /// `value` with every object's members in RFC 8785 order, sorted here the slow, obvious way:
    /// by the keys' UTF-16 code units.
    static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let a): return .array(a.map(sorted))
        case .object(let o):
            let members = o.members.sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
            return .object(JSONObject(members.map { (key: $0.key, value: sorted($0.value)) }))
        default: return value
        }
    }

    @Test func byteMutantsAreParsedOrRefusedWithAPosition() {
        let seed = Fuzz.seed(0x150_0001)
        print("FuzzJSONTests.byteMutants: seed \(seed), \(Self.iterations) iterations (CAIRN_FUZZ_SEED replays)")
        var rng = SplitMix64(state: seed)
        var parsed = 0
        for i in 0..<Self.iterations {
            let original = Array(rng.pick(Self.seeds).utf8)
            let bytes = Fuzz.mutate(original, tokens: Self.tokens, &rng)
            if Self.check(bytes, "seed \(seed), iteration \(i): \(String(decoding: bytes, as: UTF8.self).debugDescription)") != nil {
                parsed += 1
            }
        }
        print("FuzzJSONTests.byteMutants: \(parsed) parsed, \(Self.iterations - parsed) refused")
        #expect(parsed > 0 && parsed < Self.iterations)
    }

    // MARK: Structure-aware mutations

    /// Writes `value` as JSON in a random spelling: random insignificant whitespace, characters
    /// randomly written as `\u` escapes (surrogate pairs above U+FFFF), numbers randomly as
    /// `1.0`, `10e-1` or `0.1E1`, members in a random order.
    static func respell(_ value: JSONValue, _ rng: inout SplitMix64, into out: inout String) {
        func space() { if rng.chance(3) { out += rng.pick([" ", "\n", "\t", "\r\n", "  "]) } }
        func string(_ s: String) {
            out += "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\u{0}"..."\u{1f}": out += String(format: "\\u%04x", scalar.value)
                default:
                    if rng.chance(4) {
                        for unit in String(scalar).utf16 { out += String(format: rng.chance(2) ? "\\u%04x" : "\\u%04X", unit) }
                    } else if scalar == "/" && rng.chance(2) {
                        out += "\\/"
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            out += "\""
        }
        space()
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d):
            let shortest = String(decoding: JSON.canonical(.number(d)), as: UTF8.self)
            if d == d.rounded(), abs(d) < 1e15, rng.chance(2) {
                out += rng.pick(["\(shortest).0", d == 0 ? "0e5" : "\(shortest)0e-1", "\(shortest).000E+0"])
            } else {
                out += shortest
            }
        case .string(let s): string(s)
        case .array(let a):
            out += "["
            for (i, e) in a.enumerated() {
                if i > 0 { out += "," }
                respell(e, &rng, into: &out)
            }
            space()
            out += "]"
        case .object(let o):
            out += "{"
            var members = o.members
            for i in members.indices.reversed() { members.swapAt(i, rng.below(i + 1)) }
            for (i, m) in members.enumerated() {
                if i > 0 { out += "," }
                space()
                string(m.key)
                space()
                out += ":"
                respell(m.value, &rng, into: &out)
            }
            space()
            out += "}"
        }
        space()
    }

    @Test func respellingsHaveTheSameCanonicalBytes() throws {
        let seed = Fuzz.seed(0x150_0002)
        print("FuzzJSONTests.respellings: seed \(seed), \(Self.iterations) iterations")
        var rng = SplitMix64(state: seed)
        for i in 0..<Self.iterations {
            let text = rng.pick(Self.seeds)
            let value = try JSON.parse(text.utf8)
            var spelled = ""
            Self.respell(value, &rng, into: &spelled)
            let context = { "seed \(seed), iteration \(i): \(spelled.debugDescription)" }
            let parsed = Self.check(Array(spelled.utf8), context())
            #expect(parsed.map(JSON.canonical) == JSON.canonical(value), "\(context())")
        }
    }

    /// `value` with `raw` spliced in at `path` in place of the value there: the text of `value`
    /// with a marker replaced, so `raw` can be anything, valid JSON or not.
    static func splice(_ value: JSONValue, at path: [Int], raw: String) -> String {
        var marked = value
        Fuzz.set(&marked, path[...], .string("\u{1}splice\u{1}"))
        return String(decoding: JSON.canonical(marked), as: UTF8.self).replacingOccurrences(of: "\"\\u0001splice\\u0001\"", with: raw)
    }

    @Test func structureAwareMutantsGetTheirVerdict() throws {
        let seed = Fuzz.seed(0x150_0003)
        print("FuzzJSONTests.structure: seed \(seed), \(Self.iterations) iterations")
        var rng = SplitMix64(state: seed)
        let deep = 10_000
        for i in 0..<Self.iterations {
            let value = try JSON.parse(rng.pick(Self.seeds).utf8)
            let paths = Fuzz.paths(value)
            let path = rng.pick(paths)
            let target = Fuzz.get(value, path[...])
            var expected: JSONError.Code? = nil
            let text: String
            switch rng.below(9) {
            case 0:
                // Swap the values at two paths that do not contain each other.
                let other = rng.pick(paths)
                guard !path.starts(with: other), !other.starts(with: path) else { continue }
                var swapped = value
                Fuzz.set(&swapped, path[...], Fuzz.get(value, other[...]))
                Fuzz.set(&swapped, other[...], target)
                text = String(decoding: JSON.canonical(swapped), as: UTF8.self)
            case 1:
                // Duplicate a member of an object.
                let objects = paths.filter { if case .object(let o) = Fuzz.get(value, $0[...]) { !o.members.isEmpty } else { false } }
                guard !objects.isEmpty else { continue }
                let at = rng.pick(objects)
                guard case .object(let o) = Fuzz.get(value, at[...]) else { continue }
                let m = rng.pick(o.members)
                let member = String(decoding: JSON.canonical(.object(JSONObject([m]))), as: UTF8.self).dropFirst().dropLast()
                let body = String(decoding: JSON.canonical(.object(o)), as: UTF8.self).dropFirst().dropLast()
                text = Self.splice(value, at: at, raw: rng.chance(2) ? "{\(body),\(member)}" : "{\(member),\(body)}")
                expected = .duplicateKey
            case 2:
                let open = String(repeating: rng.chance(2) ? "[" : "{\"a\":", count: deep)
                text = Self.splice(value, at: path, raw: open + (rng.chance(2) ? "" : "1"))
                expected = .tooDeep
            case 3:
                text = Self.splice(value, at: path, raw: String(repeating: "[", count: deep) + String(repeating: "]", count: deep))
                expected = .tooDeep
            case 4:
                text = Self.splice(value, at: path, raw: rng.pick(["1e400", "-1e309", "1" + String(repeating: "0", count: 400)]))
                expected = .numberOutOfRange
            case 5:
                // Huge but finite, and underflowing to zero: accepted.
                text = Self.splice(
                    value, at: path,
                    raw: rng.pick(["1e-400", "-0.0", String(repeating: "9", count: 300), "0." + String(repeating: "0", count: 5000) + "1"]))
            case 6:
                let unit = rng.pick(["a", "\u{e9}", "\\n", "\\ud83d\\ude00"])
                text = Self.splice(value, at: path, raw: "\"" + String(repeating: unit, count: 1 + rng.below(4_096)) + "\"")
            case 7:
                text = Self.splice(value, at: path, raw: rng.pick([#""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#, #""\ud83d\ud83d""#]))
                expected = .loneSurrogate
            default:
                // Invalid UTF-8 inside a string: refused at its first byte.
                let spliced = Array(Self.splice(value, at: path, raw: "\"a@@@b\"").utf8)
                let at = (0..<spliced.count - 2).first { spliced[$0..<$0 + 3].elementsEqual("@@@".utf8) }!
                let bytes = Array(spliced[..<at]) + rng.pick(Fuzz.invalidUTF8) + Array(spliced[(at + 3)...])
                let context = { "seed \(seed), iteration \(i): invalid UTF-8 at \(at)" }
                #expect(Self.check(bytes, context()) == nil, "\(context())")
                let e = Result(catching: { () throws(JSONError) in try JSON.parse(bytes) }).failure
                #expect(e?.code == .invalidUTF8 && e?.offset == at, "\(e.map { "\($0)" } ?? "parsed"): \(context())")
                continue
            }
            let context = { "seed \(seed), iteration \(i): \(text.prefix(300).debugDescription)" }
            let parsed = Self.check(Array(text.utf8), context())
            if let expected {
                let e = Result(catching: { () throws(JSONError) in try JSON.parse(text.utf8) }).failure
                #expect(parsed == nil && e?.code == expected, "got \(e.map { "\($0.code)" } ?? "a value"), want \(expected): \(context())")
            } else {
                #expect(parsed != nil, "\(context())")
            }
        }
    }

    /// Strings of 64 KiB and 256 KiB, in each spelling: parsed, written and read back whole.
    @Test func longStringsRoundTrip() throws {
        for unit in ["a", "\u{e9}", "\\n", "\\ud83d\\ude00", "\\u0000"] {
            for count in [1 << 16, 1 << 18] {
                let text = "{\"k\":\"" + String(repeating: unit, count: count / unit.utf8.count) + "\"}"
                let value = try #require(Self.check(Array(text.utf8), "\(count) bytes of \(unit)"))
                #expect(value.objectValue?["k"]?.stringValue?.isEmpty == false)
            }
        }
    }

    // MARK: The canonical writer

    /// A random value: any Unicode scalar in strings and keys, numbers from random bit patterns.
    static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> JSONValue {
        func string() -> String {
            var s = String.UnicodeScalarView()
            for _ in 0..<rng.below(8) {
                let ranges: [ClosedRange<UInt32>] = [0...0x7f, 0x80...0x7ff, 0x800...0xd7ff, 0xe000...0xffff, 0x10000...0x10ffff]
                let r = rng.pick(ranges)
                s.append(Unicode.Scalar(r.lowerBound + UInt32(rng.below(Int(r.upperBound - r.lowerBound) + 1)))!)
            }
            return String(s)
        }
        switch rng.below(depth > 4 ? 4 : 6) {
        case 0: return rng.chance(2) ? .null : .bool(rng.chance(2))
        case 1:
            var d = Double(bitPattern: rng.next())
            while !d.isFinite { d = Double(bitPattern: rng.next()) }
            return .number(rng.chance(3) ? d : Double(Int64(truncatingIfNeeded: rng.next()) >> rng.below(64)))
        case 2, 3: return .string(string())
        case 4: return .array((0..<rng.below(5)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var members: [(key: String, value: JSONValue)] = []
            for _ in 0..<rng.below(6) {
                let key = string()
                if !members.contains(where: { Array($0.key.utf8) == Array(key.utf8) }) {
                    members.append((key, randomValue(&rng, depth: depth + 1)))
                }
            }
            return .object(JSONObject(members))
        }
    }

    @Test func randomValuesRoundTripThroughCanonicalBytes() throws {
        let seed = Fuzz.seed(0x150_0004)
        print("FuzzJSONTests.randomValues: seed \(seed), \(Self.iterations) iterations")
        var rng = SplitMix64(state: seed)
        for i in 0..<Self.iterations {
            let value = Self.randomValue(&rng)
            let canonical = JSON.canonical(value)
            let context = { "seed \(seed), iteration \(i): \(String(decoding: canonical, as: UTF8.self).debugDescription)" }
            let parsed = try JSON.requireCanonical(canonical, maxDepth: 64)
            #expect(parsed == Self.sorted(value), "\(context())")
            #expect(JSON.canonical(parsed) == canonical, "\(context())")
            // Every double survives its shortest ECMAScript form exactly (or is -0, written 0).
            if case .number(let d) = value { #expect(parsed.doubleValue?.bitPattern == (d == 0 ? 0 : d.bitPattern), "\(context())") }
        }
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
