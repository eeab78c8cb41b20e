import Foundation
import Testing

/// `cairn contract conform`, run as CI runs it: the whole corpus passes, and a wrong row, a
/// malformed file and a missing one each fail the run, named.
@Suite struct ContractConformTests {
    let contracts = repoRoot.appendingPathComponent("Contracts").path
    let corpus: [String] = {
        let dir = repoRoot.appendingPathComponent("Tests/Vectors/contracts")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { dir.appendingPathComponent($0).path }
    }()

    /// A scratch directory with the given files.
    func scratch(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("conform-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return dir
    }

    static let good =
        #"{"desc": "escrow compiles", "contract": "escrow", "input": {"op": "compile"}, "want": "ok compiled steps=66 actions=release,refund"}"#
    static let wrong =
        #"{"desc": "a deliberately wrong step bound", "contract": "escrow", "input": {"op": "compile"}, "want": "ok compiled steps=65 actions=release,refund"}"#

    @Test func theCorpusPasses() throws {
        #expect(corpus.count >= 9)
        let r = try cairn(["contract", "conform", "--contracts", contracts] + corpus)
        #expect(r.status == 0, "\(r)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == corpus.count + 1, "\(r.out)")
        for (file, line) in zip(corpus, lines) {
            #expect(line.hasPrefix("\(file): ") && line.hasSuffix(" passed, 0 failed"), "\(line)")
        }
        let total = try #require(lines.last)
        let passed = Int(total.split(separator: " ")[1]) ?? 0
        #expect(total == "total: \(passed) passed, 0 failed" && passed >= 150, "\(total)")
    }

    @Test func aWrongRowIsNamedAndFailsTheRun() throws {
        let dir = try scratch(["rows.json": "[\n\(Self.good),\n\n\(Self.wrong)\n]\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("rows.json").path
        let r = try cairn("contract", "conform", "--contracts", contracts, file)
        #expect(r.status == 1, "\(r)")
        #expect(
            r.out == """
                \(file):4: row 1 "a deliberately wrong step bound": want "ok compiled steps=65 actions=release,refund", \
                got "ok compiled steps=66 actions=release,refund"
                \(file): 1 passed, 1 failed
                total: 1 passed, 1 failed

                """, "\(r)")
    }

    @Test func aRowThatCannotBeRunFailsWithItsReason() throws {
        let typo = #"{"desc": "a typo in a field name", "contract": "escrow", "input": {"op": "compile"}, "wnat": "x", "want": "x"}"#
        let dir = try scratch(["typo.json": "[\(typo)]"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("typo.json").path
        let r = try cairn("contract", "conform", "--contracts", contracts, file)
        #expect(r.status == 1 && r.out.contains(#"row 0 "a typo in a field name": want "x", got "bad_row unknown field \"wnat\"""#), "\(r)")
    }

    @Test func aMalformedFileIsNamedWithLineAndColumn() throws {
        let dir = try scratch(["good.json": "[\(Self.good)]", "broken.json": "[\n\(Self.good)\n\(Self.good)\n]", "object.json": "{}"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.json").path
        let broken = dir.appendingPathComponent("broken.json").path
        let object = dir.appendingPathComponent("object.json").path
        let r = try cairn("contract", "conform", "--contracts", contracts, good, broken, object)
        #expect(r.status == 1, "\(r)")
        // The readable file still runs; the others are named, and the total says they did not run.
        #expect(r.out == "\(good): 1 passed, 0 failed\ntotal: 1 passed, 0 failed, 2 files not run\n", "\(r)")
        #expect(
            r.err == """
                cairn: malformed_json: \(broken):3:1: expected ',' or ']' in an array, found '{'
                cairn: malformed_json: \(object):1:1: a corpus file is a JSON array of rows

                """, "\(r)")
    }

    @Test func aMissingFileFailsTheRun() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).json").path
        let r = try cairn("contract", "conform", "--contracts", contracts, missing)
        #expect(r.status == 1, "\(r)")
        #expect(r.err.contains(missing) && r.out.hasSuffix("total: 0 passed, 0 failed, 1 file not run\n"), "\(r)")
    }

    @Test func aMissingContractsDirectoryIsNamed() throws {
        let r = try cairn("contract", "conform", "--contracts", "/nonexistent/contracts", corpus[0])
        #expect(r.status == 1 && r.err.hasPrefix("cairn: not_found: couldn't read the contracts directory /nonexistent/contracts"), "\(r)")
    }

    @Test func noFilesIsAUsageError() throws {
        let r = try cairn("contract", "conform")
        #expect(r.status != 0 && r.err.contains("Missing expected argument '<files> ...'"), "\(r)")
    }
}
