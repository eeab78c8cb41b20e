// Helpers for the XML tests: xmllint, reading our own XML back, decimal parsing.

import CLibXML2
import Foundation
import Testing

@testable import CairnExport

enum XMLTest {
    static let xmllint: String? = ["/usr/bin/xmllint", "/usr/local/bin/xmllint"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// `xmllint --noout --schema` verdict (true = valid), or nil without xmllint.
    static func xmllintAccepts(_ xml: [UInt8], schema: ISO20022Schema) throws -> Bool? {
        guard let xmllint else { return nil }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-export-\(UUID().uuidString).xml")
        try Data(xml).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xmllint)
        process.arguments = ["--noout", "--nonet", "--schema", schema.url.path, file.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Parses `xml` and runs `body` on its root while the tree is alive.
    static func withRoot<T>(_ xml: [UInt8], _ body: (xmlNodePtr) throws -> T) throws -> T {
        let document = try XMLDocument.parse(xml).get()
        return try document.withRoot { root in try body(try #require(root)) }
    }

    static func all(_ node: xmlNodePtr, _ names: String...) -> [xmlNodePtr] {
        var level = [node]
        for name in names { level = level.flatMap { XMLDocument.children($0, named: name) } }
        return level
    }

    static func text(_ node: xmlNodePtr, _ names: String...) -> String? {
        var cur = node
        for name in names {
            guard let next = XMLDocument.children(cur, named: name).first else { return nil }
            cur = next
        }
        return XMLDocument.text(cur)
    }

    /// Minor units of a decimal text with `digits` fraction digits ("125.50", 2 -> 12550).
    static func minor(_ text: String, digits: Int) -> Int64 {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        precondition(fraction.count == digits, "\(text) has not \(digits) fraction digits")
        return Int64(String(parts[0]) + fraction)!
    }

    /// Signed minor units of an `Amt` + `CdtDbtInd` pair under `node`.
    static func signedAmount(_ node: xmlNodePtr, digits: Int) -> Int64 {
        let value = minor(text(node, "Amt")!, digits: digits)
        return text(node, "CdtDbtInd") == "DBIT" ? -value : value
    }

    /// 1-based line of the first occurrence of `needle` in `xml`.
    static func line(of needle: String, in xml: [UInt8]) -> Int {
        let text = String(decoding: xml, as: UTF8.self)
        guard let range = text.range(of: needle) else { return -1 }
        return text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
    }

    static func resource(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources"))
        return [UInt8](try Data(contentsOf: url))
    }
}
