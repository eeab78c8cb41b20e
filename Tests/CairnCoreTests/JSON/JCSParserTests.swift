import CairnCore
import Testing

/// The error `JSON.parse` throws for `bytes`, or `nil` if it parses.
func parseError(_ bytes: [UInt8], maxDepth: Int = 64) -> JSONError? {
    do {
        _ = try JSON.parse(bytes, maxDepth: maxDepth)
        return nil
    } catch {
        return error
    }
}

func parseError(_ text: String, maxDepth: Int = 64) -> JSONError? {
    parseError(Array(text.utf8), maxDepth: maxDepth)
}

/// `"` + bytes + `"` as a JSON document.
private func quotedBytes(_ bytes: [UInt8]) -> [UInt8] { [0x22] + bytes + [0x22] }

@Suite("Strict parser")
struct ParserTests {
    @Test func parsesAllValueKinds() throws {
        let v = try JSON.parse(#" { "a" : [1, -2.5, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {} } "#.utf8)
        let expected: JSONValue = ["a": [1, -2.5, true, false, nil, "x\n\u{e9}\u{1F600}"], "b": [:]]
        #expect(v == expected)
        #expect(try JSON.parse("\"\\u0000\"".utf8) == .string("\u{0}"))
        #expect(try JSON.parse("\"\\/\\b\\f\\r\\t\"".utf8) == .string("/\u{8}\u{c}\r\t"))
    }

    @Test func topLevelScalarsAndWhitespace() throws {
        #expect(try JSON.parse(" \t\r\n42\n".utf8) == .number(42))
        #expect(try JSON.parse("\"s\"".utf8) == .string("s"))
        #expect(try JSON.parse("null".utf8) == .null)
        #expect(try JSON.parse(ArraySlice(Array("[1]".utf8))) == [1])
        #expect(try JSON.parse(AnyCollection(Array("[1]".utf8))) == [1])  // non-contiguous input
    }

    // MARK: Duplicate keys

    @Test func duplicateKeysRejected() throws {
        let e = try #require(parseError(#"{"a":1,"a":2}"#))
        #expect(e.code == .duplicateKey)
        #expect(e.message == #"duplicate key "a""#)
        #expect((e.line, e.column, e.offset) == (1, 8, 7))
        // Same code units, one spelled with an escape.
        #expect(parseError(#"{"é":1,"\u00e9":2}"#)?.code == .duplicateKey)
        // Nested objects have their own key space.
        #expect(parseError(#"{"a":{"a":1},"b":{"a":2}}"#) == nil)
    }

    @Test func canonicallyEquivalentKeysAreDistinct() throws {
        let v = try JSON.parse(#"{"\u00e9":1,"e\u0301":2}"#.utf8)
        let o = try #require(v.objectValue)
        #expect(o.count == 2)
        #expect(o["\u{e9}"] == 1)
        #expect(o["e\u{301}"] == 2)
        // U+0065 U+0301 sorts before U+00E9 by code units.
        #expect(JSON.canonical(v) == Array("{\"e\u{301}\":2,\"\u{e9}\":1}".utf8))
    }

    @Test func duplicateKeysInLargeObjects() throws {
        let keys = (0..<40).map { "k\($0)" }
        var text = "{" + keys.map { "\"\($0)\":0" }.joined(separator: ",")
        #expect(parseError(text + "}") == nil)
        #expect(parseError(text + ",\"k7\":1}")?.code == .duplicateKey)
        text += ",\"\u{e9}\":1,\"e\u{301}\":2"
        #expect(parseError(text + "}") == nil)
        #expect(parseError(text + ",\"\\u00e9\":3}")?.code == .duplicateKey)
    }

    // MARK: UTF-8

    @Test(
        arguments: [
            [0xC0, 0x80],  // overlong NUL
            [0xC1, 0xBF],  // overlong
            [0xE0, 0x80, 0x80],  // overlong
            [0xF0, 0x80, 0x80, 0x80],  // overlong
            [0xFF],
            [0xFE],
            [0x80],  // lone continuation
            [0xBF],
            [0xE2, 0x82],  // truncated (then the closing quote)
            [0xF0, 0x9F, 0x98],  // truncated
            [0xC3],  // truncated
            [0xED, 0xA0, 0x80],  // UTF-8-encoded high surrogate U+D800
            [0xED, 0xBF, 0xBF],  // encoded low surrogate U+DFFF
            [0xF4, 0x90, 0x80, 0x80],  // U+110000
            [0xF5, 0x80, 0x80, 0x80],
            [0xE2, 0x28, 0xA1],  // bad continuation
        ] as [[UInt8]])
    func invalidUTF8InStringsRejected(bytes: [UInt8]) throws {
        let e = try #require(parseError(quotedBytes(bytes)))
        #expect(e.code == .invalidUTF8)
        #expect(e.offset == 1)
        let inKey = try #require(parseError(Array("{\"".utf8) + bytes + Array("\":1}".utf8)))
        #expect(inKey.code == .invalidUTF8)
    }

    @Test func invalidUTF8OutsideStrings() throws {
        #expect(parseError([0xFF])?.code == .invalidUTF8)
        #expect(parseError(Array("[1,".utf8) + [0xC0, 0x80] + Array("]".utf8))?.code == .invalidUTF8)
        #expect(parseError(Array("{}".utf8) + [0xED, 0xA0, 0x80])?.code == .invalidUTF8)
        #expect(parseError(Array("\"a\"".utf8) + [0xC3])?.code == .invalidUTF8)  // truncated at EOF
        // Well-formed non-ASCII outside a string is a syntax error.
        #expect(parseError("[é]")?.code == .syntax)
    }

    @Test func validUTF8Accepted() throws {
        let s = "aé€😀\u{10FFFF}\u{FFFF}\u{D7FF}\u{E000}\u{7F}\u{2028}"
        #expect(try JSON.parse(quotedBytes(Array(s.utf8))) == .string(s))
    }

    @Test func byteOrderMarkRejected() {
        #expect(parseError([0xEF, 0xBB, 0xBF] + Array("{}".utf8))?.code == .syntax)
    }

    // MARK: Surrogate escapes

    @Test(arguments: [
        #""\uD800""#, #""\uDBFF""#, #""\uDC00""#, #""\uDFFF""#, #""\uD800\u0041""#, #""\uD800x""#,
        #""\uD800\uD800""#, #""\uDE00\uD83D""#, #""x\ud83d""#, #"{"\ud83d":1}"#,
    ])
    func loneSurrogateEscapesRejected(text: String) throws {
        let e = try #require(parseError(text))
        #expect(e.code == .loneSurrogate)
    }

    @Test func surrogatePairsDecoded() throws {
        #expect(try JSON.parse(#""\ud83d\ude00""#.utf8) == .string("\u{1F600}"))
        #expect(try JSON.parse(#""\uDBFF\uDFFF""#.utf8) == .string("\u{10FFFF}"))
        #expect(try JSON.parse(#""\uD800\uDC00""#.utf8) == .string("\u{10000}"))
    }

    // MARK: Syntax

    @Test(arguments: [
        "", "   ", "[1,]", #"{"a":1,}"#, "[01]", "1.", ".5", "-", "+1", "1e", "1e+", "tru", "nul", "falsy",
        "[1 2]", "{'a':1}", "\"\t\"", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "NaN", "Infinity", "-Infinity",
        "\"abc", "[", "{", #"{"a""#, #"{"a":"#, #"{"a" 1}"#, "{1:2}", "[,1]", "-01", "[0x10]", "[1,,2]", "]",
        "\"\u{0}\"", "\"\n\"", "'x'", "1.e5", "01.5",
    ])
    func syntaxErrors(text: String) throws {
        let e = try #require(parseError(text))
        #expect(e.code == .syntax, "\(text): \(e)")
    }

    @Test(arguments: ["{} x", "{}{}", "1 2", "[1]]", "nulll", "\"a\"\"b\"", "0 0"])
    func trailingDataRejected(text: String) throws {
        let e = try #require(parseError(text))
        #expect(e.code == .trailingData, "\(text): \(e)")
    }

    @Test func numbersOutOfRangeRejected() throws {
        for text in ["1e400", "-1e400", "1.8e308", "[0, 1e99999999999999999999]"] {
            #expect(parseError(text)?.code == .numberOutOfRange, "\(text)")
        }
        #expect(parseError("[1,\n 1e400]")?.column == 2)
    }

    // MARK: Depth

    @Test func nestingDepth() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(parseError(ok) == nil)
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(parseError(deep)?.code == .tooDeep)
        #expect(parseError(deep, maxDepth: 65) == nil)
        let objects = String(repeating: #"{"a":"#, count: 3) + "1" + String(repeating: "}", count: 3)
        #expect(parseError(objects, maxDepth: 3) == nil)
        #expect(parseError(objects, maxDepth: 2)?.code == .tooDeep)
        #expect(parseError("1", maxDepth: 0) == nil)
        #expect(parseError("[]", maxDepth: 0)?.code == .tooDeep)
        // Hostile input fails fast instead of overflowing the stack.
        #expect(parseError(String(repeating: "[", count: 1_000_000))?.code == .tooDeep)
    }

    // MARK: Positions

    @Test func errorPositions() throws {
        let e = try #require(parseError("{\n  \"amount\": 1,\n  \"amount\": 2\n}"))
        #expect(e.code == .duplicateKey)
        #expect((e.line, e.column) == (3, 3))
        #expect(e.description == #"line 3, column 3: duplicate key "amount""#)

        // Columns count Unicode scalars, not bytes.
        let t = try #require(parseError(#"{"é": tru}"#))
        #expect((t.line, t.column, t.offset) == (1, 7, 7))

        let eof = try #require(parseError("[1,\n2"))
        #expect((eof.code, eof.line, eof.column) == (.syntax, 2, 2))

        let trailing = try #require(parseError("{}\n\n  x"))
        #expect((trailing.code, trailing.line, trailing.column) == (.trailingData, 3, 3))
    }

    @Test func errorMessagesAreReadable() throws {
        #expect(parseError("[1;2]")?.message == "unexpected ';', expected ',' or ']'")
        #expect(parseError(#"{"a\nb":1,"a\nb":2}"#)?.message == #"duplicate key "a\u000ab""#)
    }
}
