import CairnCore
import Foundation
import Testing

/// `cairn contract check` and `report`, as an auditor runs them before anyone deploys a contract.
@Suite struct ContractCLITests {
    @Test(arguments: ["escrow", "multisig", "timelock", "htlc", "dvp"])
    func shippedContractsCheckClean(_ name: String) throws {
        let path = repoRoot.appendingPathComponent("Contracts/\(name).cairn").path
        let r = try cairn("contract", "check", path, "--json")
        #expect(r.status == 0, "\(r)")
        #expect(r.json["ok"] == .bool(true) && r.json["hash"]?.stringValue?.count == 64)
        let report = try cairn("contract", "report", path)
        #expect(report.status == 0 && report.out.contains("AUTHORITY") && report.out.contains("TERMINALS"), "\(report)")
    }

    @Test func badContractsAreRefusedWithPositions() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.cairn").path
        // A `when` without a timeout, and a name nobody bound.
        try """
        contract bad
          param payer: account
          refund payer
        when {
          case go by sig(nobody) { close }
        }
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try cairn("contract", "check", path)
        #expect(r.status == 1, "\(r)")
        let lines = r.out.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("\(path):") }, "\(r.out)")
        #expect(r.err.hasPrefix("cairn: invalid_contract: "))
        #expect(try cairn("contract", "report", path).status == 1)
    }

    @Test func escrowReportShowsTheArbiterCannotTakeTheFunds() throws {
        let r = try cairn("contract", "report", repoRoot.appendingPathComponent("Contracts/escrow.cairn").path)
        let authority = r.out.components(separatedBy: "WORST CASE")[0]
        // The payer alone can refund only after the deadline; the arbiter never acts alone.
        #expect(authority.contains("refund: {arbiter, payee} or {payer}; from deadline until before final"))
        #expect(!authority.contains("or {arbiter};") && !authority.contains(": {arbiter}"))
    }
}
