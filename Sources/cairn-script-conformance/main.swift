import CairnScript
import Foundation

// Reads a conformance corpus file (a JSON array of rows, docs/contracts.md) on stdin and prints
// each row's result line, for comparing another implementation's. `cairn contract conform` checks
// the lines against the rows' `want` instead.
// Usage: cairn-script-conformance [CONTRACTS_DIR] < FILE   (default: Contracts)
let dir = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "Contracts"
var contracts: [String: String] = [:]
for file in (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted() ?? [] where file.hasSuffix(".cairn") {
    if let text = try? String(contentsOfFile: dir + "/" + file, encoding: .utf8) { contracts[String(file.dropLast(6))] = text }
}
let input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
for line in Conformance.runAll(json: input, contracts: contracts) { print(line) }
