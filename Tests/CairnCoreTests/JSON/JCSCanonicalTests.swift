import CairnCore
import Testing

private func canonicalText(_ v: JSONValue) -> String { String(decoding: JSON.canonical(v), as: UTF8.self) }

@Suite("Canonical form")
struct CanonicalTests {
    @Test func stringEscaping() throws {
        let controls = String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) })
        let expectedControls =
            #"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#
        #expect(canonicalText(.string(controls)) == "\"" + expectedControls + "\"")
        // Quote and backslash escaped; '/', DEL, U+2028/2029 and non-ASCII literal.
        let s = "\"\\/\u{7F}\u{2028}\u{2029}é😀"
        #expect(canonicalText(.string(s)) == "\"\\\"\\\\/\u{7F}\u{2028}\u{2029}é😀\"")
        #expect(canonicalText(.string("")) == "\"\"")
    }

    @Test func structure() {
        let v: JSONValue = ["b": [1, "x", nil, true, false, [:], []], "a": ["z": 0.5, "y": -0.0]]
        #expect(canonicalText(v) == #"{"a":{"y":0,"z":0.5},"b":[1,"x",null,true,false,{},[]]}"#)
        #expect(canonicalText([]) == "[]")
        #expect(canonicalText([:]) == "{}")
        #expect(canonicalText(nil) == "null")
    }

    @Test func sortsByUTF16CodeUnits() throws {
        // By code point U+FB33 < U+1F600, but by UTF-16 0xD83D (high surrogate) < 0xFB33.
        let keys = [
            "\u{FB33}", "\u{1F600}", "\u{E000}", "\u{FFFF}", "\u{10FFFF}", "a", "\u{D7FF}", "\u{10000}", "", "aa",
        ]
        let object = JSONValue.object(JSONObject(keys.map { (key: $0, value: .null) }))
        let sorted = try #require(JSON.parse(JSON.canonical(object)).objectValue).keys
        #expect(
            sorted == [
                "", "a", "aa", "\u{D7FF}", "\u{10000}", "\u{1F600}", "\u{10FFFF}", "\u{E000}", "\u{FB33}", "\u{FFFF}",
            ])
    }

    @Test func sortingMatchesUTF16OnRandomKeys() throws {
        var rng = SystemRandomNumberGenerator()
        let pool: [Unicode.Scalar] = [
            "a", "b", "\u{7F}", "\u{80}", "é", "\u{301}", "\u{7FF}", "\u{800}", "\u{D7FF}",
            "\u{E000}", "\u{FB33}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "\u{1F600}", "\u{10FFFF}",
        ]
        for _ in 0..<300 {
            var members: [(key: String, value: JSONValue)] = []
            var seen = Set<[UInt8]>()
            for _ in 0..<Int.random(in: 0..<30, using: &rng) {
                var key = String.UnicodeScalarView()
                for _ in 0..<Int.random(in: 0..<4, using: &rng) { key.append(pool.randomElement(using: &rng)!) }
                let k = String(key)
                if seen.insert(Array(k.utf8)).inserted { members.append((key: k, value: 1)) }
            }
            let out = JSON.canonical(.object(JSONObject(members)))
            let keys = try #require(JSON.parse(out).objectValue).keys.map { Array($0.utf16) }
            let expected = members.map { Array($0.key.utf16) }.sorted { $0.lexicographicallyPrecedes($1) }
            #expect(keys == expected)
        }
    }

    @Test func requireCanonical() throws {
        #expect(try JSON.requireCanonical(#"{"a":[1,"x"],"b":null}"#.utf8) == ["a": [1, "x"], "b": nil])
        let cases: [(String, Int)] = [
            (#"{"b":1,"a":2}"#, 2), (#"{"a": 1}"#, 5), (#"{"a":1.0}"#, 6), ("{}\n", 2), (#""\u0041""#, 1),
            (#""\/""#, 1), ("1E3", 1), ("[1e21,1e+21]", 3),
        ]
        for (text, offset) in cases {
            do {
                _ = try JSON.requireCanonical(text.utf8)
                Issue.record("\(text) accepted")
            } catch {
                #expect(error.code == .notCanonical)
                #expect(error.offset == offset, "\(text): \(error)")
                #expect(error.message.contains("byte offset \(offset)"))
            }
        }
        // Parse errors pass through.
        #expect(throws: JSONError.self) { try JSON.requireCanonical(#"{"a":1,"a":1}"#.utf8) }
    }

    @Test func notCanonicalPosition() throws {
        do {
            _ = try JSON.requireCanonical("{\"é\":1,\n\"a\":2}".utf8)
            Issue.record("accepted")
        } catch {
            #expect((error.line, error.column) == (1, 3))
            #expect(
                error.description.hasPrefix(
                    "line 1, column 3: not in canonical form: first difference at byte offset 2"))
        }
    }

    /// canonical(parse(x)) == x for canonical x, over random documents.
    @Test func randomRoundTrip() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let value = randomValue(depth: 0, using: &rng)
            let canonical = JSON.canonical(value)
            let reparsed = try JSON.requireCanonical(canonical)
            #expect(JSON.canonical(reparsed) == canonical)
            #expect(try JSON.canonicalize(canonical) == canonical)
        }
    }

    @Test func accessors() {
        let v: JSONValue = ["s": "x", "n": 2.5, "i": 42, "b": true, "a": [1], "o": ["k": nil]]
        let o = v.objectValue!
        #expect(o["s"]?.stringValue == "x")
        #expect(o["n"]?.doubleValue == 2.5)
        #expect(o["n"]?.int64Value == nil)
        #expect(o["i"]?.int64Value == 42)
        #expect(o["b"]?.boolValue == true)
        #expect(o["a"]?.arrayValue == [1])
        #expect(o["o"]?.objectValue?["k"] == .null)
        #expect(o["missing"] == nil)
        #expect(o.keys == ["s", "n", "i", "b", "a", "o"])
        #expect(JSONValue.number(9_007_199_254_740_991).int64Value == 9_007_199_254_740_991)
        #expect(JSONValue.number(-9_007_199_254_740_991).int64Value == -9_007_199_254_740_991)
        #expect(JSONValue.number(9_007_199_254_740_992).int64Value == nil)
        #expect(JSONValue.number(-0.0).int64Value == 0)
        #expect(JSONValue.string("1").int64Value == nil)
    }

    @Test func objectSubscriptIsByteExact() {
        var o = JSONObject()
        o["\u{e9}"] = 1
        o["e\u{301}"] = 2
        #expect(o.count == 2)
        o["\u{e9}"] = 3  // replaces in place
        #expect(o.keys == ["\u{e9}", "e\u{301}"])
        #expect(o["\u{e9}"] == 3 && o["e\u{301}"] == 2)
        o["\u{e9}"] = nil
        #expect(o.keys == ["e\u{301}"])
        #expect(JSONObject([(key: "\u{e9}", value: 1)]) != JSONObject([(key: "e\u{301}", value: 1)]))
        #expect(JSONObject([(key: "a", value: 1)]) == JSONObject([(key: "a", value: 1)]))
    }
}

private func randomValue(depth: Int, using rng: inout SystemRandomNumberGenerator) -> JSONValue {
    switch Int.random(in: depth > 3 ? 0..<4 : 0..<6, using: &rng) {
    case 0: return .null
    case 1: return .bool(Bool.random(using: &rng))
    case 2:
        let d = Double(bitPattern: rng.next())
        return .number(d.isFinite ? d : Double(Int32.random(in: .min ... .max, using: &rng)))
    case 3: return .string(randomString(using: &rng))
    case 4:
        return .array((0..<Int.random(in: 0..<5, using: &rng)).map { _ in randomValue(depth: depth + 1, using: &rng) })
    default:
        var o = JSONObject()
        for _ in 0..<Int.random(in: 0..<6, using: &rng) {
            o[randomString(using: &rng)] = randomValue(depth: depth + 1, using: &rng)
        }
        return .object(o)
    }
}

private func randomString(using rng: inout SystemRandomNumberGenerator) -> String {
    let pool: [Unicode.Scalar] = [
        "a", "Z", "\"", "\\", "/", "\u{0}", "\u{8}", "\n", "\u{1F}", "\u{7F}", "é", "\u{301}",
        "\u{2028}", "\u{FB33}", "\u{FFFF}", "\u{1F600}", "\u{10FFFF}",
    ]
    var s = String.UnicodeScalarView()
    for _ in 0..<Int.random(in: 0..<8, using: &rng) { s.append(pool.randomElement(using: &rng)!) }
    return String(s)
}

@Suite("Canonical preconditions")
struct CanonicalPreconditionTests {
    @Test func nonFiniteNumberTraps() async {
        await #expect(processExitsWith: .failure) { _ = JSON.canonical(.number(.nan)) }
        await #expect(processExitsWith: .failure) { _ = JSON.canonical([.number(.infinity)]) }
    }

    @Test func duplicateKeyTraps() async {
        await #expect(processExitsWith: .failure) {
            var o = JSONObject([(key: "a", value: 1)])
            o.members.append((key: "a", value: 2))  // bypasses the initializer's check
            _ = JSON.canonical(.object(o))
        }
        await #expect(processExitsWith: .failure) { _ = JSONObject([(key: "k", value: 1), (key: "k", value: 2)]) }
    }
}
