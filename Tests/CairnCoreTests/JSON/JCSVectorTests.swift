import CairnCore
import Foundation
import Testing

/// File names in `jcs/input`, sorted.
func jcsVectorNames() -> [String] {
    let input = vectorsDirectory().appending(path: "jcs/input")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: input.path)) ?? []
    return names.filter { $0.hasSuffix(".json") }.sorted()
}

private func readVector(_ folder: String, _ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: vectorsDirectory().appending(path: "jcs/\(folder)/\(name)")))
}

@Suite("RFC 8785 vectors")
struct JCSVectorTests {
    @Test func vectorsArePresent() {
        #expect(jcsVectorNames().count >= 6)
    }

    @Test(arguments: jcsVectorNames())
    func inputCanonicalizesToOutput(name: String) throws {
        let input = try readVector("input", name)
        let expected = try readVector("output", name)
        let actual = try JSON.canonicalize(input)
        #expect(actual == expected, "\(String(decoding: actual, as: UTF8.self))")
    }

    @Test(arguments: jcsVectorNames())
    func outputIsAFixedPoint(name: String) throws {
        let expected = try readVector("output", name)
        #expect(try JSON.canonicalize(expected) == expected)
        _ = try JSON.requireCanonical(expected)
    }

    @Test(arguments: jcsVectorNames())
    func inputIsNotCanonical(name: String) throws {
        let input = try readVector("input", name)
        #expect(throws: JSONError.self) { try JSON.requireCanonical(input) }
    }
}
