import CairnCore
import Foundation
import Testing

/// The repository checkout this test file belongs to.
let repoRoot: URL = {
    var url = URL(fileURLWithPath: #filePath)
    while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
    return url.deletingLastPathComponent()
}()

/// The built `cairn` binary: `$CAIRN_BIN`, or `.build/debug/cairn` (`.ci/run` builds it first).
let cairnBinary: String = {
    if let path = ProcessInfo.processInfo.environment["CAIRN_BIN"] { return path }
    return repoRoot.appendingPathComponent(".build/debug/cairn").path
}()

struct CLIResult: CustomStringConvertible {
    var status: Int32
    var out: String
    var err: String

    /// stdout parsed as one JSON value (the `--json` output of most commands).
    var json: JSONObject {
        (try? JSON.parse(Array(out.utf8)))?.objectValue ?? JSONObject()
    }

    var description: String { "exit \(status)\nstdout: \(out)\nstderr: \(err)" }
}

/// Runs a program to completion, capturing stdout and stderr through files (no pipe deadlocks).
@discardableResult
func runProcess(_ executable: String, _ args: [String], env: [String: String] = [:], cwd: URL? = nil) throws -> CLIResult {
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: tmp.path + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: tmp.path + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: tmp.path + ".out")
        try? FileManager.default.removeItem(atPath: tmp.path + ".err")
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
    if let cwd { p.currentDirectoryURL = cwd }
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp.path + ".out"))
    p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp.path + ".err"))
    try p.run()
    p.waitUntilExit()
    return CLIResult(
        status: p.terminationStatus,
        out: (try? String(contentsOfFile: tmp.path + ".out", encoding: .utf8)) ?? "",
        err: (try? String(contentsOfFile: tmp.path + ".err", encoding: .utf8)) ?? "")
}

@discardableResult
func cairn(_ args: String..., env: [String: String] = [:]) throws -> CLIResult {
    try cairn(args, env: env)
}

@discardableResult
func cairn(_ args: [String], env: [String: String] = [:]) throws -> CLIResult {
    guard FileManager.default.isExecutableFile(atPath: cairnBinary) else {
        throw CairnError(.notFound, "\(cairnBinary) is missing: run `swift build` first (.ci/run does)")
    }
    return try runProcess(cairnBinary, args, env: env)
}

/// A consortium made the way an operator would: keys from `cairn keygen`, a genesis file written
/// by hand, and a ledger from `cairn init`. Members: three partner banks (bank-a also the validator),
/// an issuer, a witnessing auditor; plus an outsider's key that genesis does not know.
final class Consortium {
    let dir: URL
    var vkeys: [String: String] = [:]
    private var counter = 0

    static let partners = ["bank-a.example", "bank-b.example", "bank-c.example"]

    var data: String { dir.appendingPathComponent("ledger").path }
    var genesisPath: String { dir.appendingPathComponent("genesis.json").path }
    func key(_ name: String) -> String { dir.appendingPathComponent("keys/\(name).key").path }

    /// `witnessURL` lists auditor-1's tlog-witness endpoint in genesis, for a node to call.
    init(governance: String = "thresh(2, role(partner))", witnessURL: String? = nil) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cairn-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("keys"), withIntermediateDirectories: true)
        for name in Consortium.partners + ["central.example", "mallory.example"] {
            vkeys[name] = try Consortium.keygen(name, out: key(name))
        }
        vkeys["auditor-1.example"] = try Consortium.keygen("auditor-1.example", out: key("auditor-1.example"), witness: true)
        let genesis = """
            {
              "cairn": 1,
              "origin": "test.cairn.example/ledger",
              "time": "2026-01-01T00:00:00Z",
              "currencies": {"EUR": {"minorDigits": 2}, "JPY": {"minorDigits": 0}},
              "members": [
                {"name": "bank-a.example", "roles": ["partner", "validator"], "keys": ["\(vkeys["bank-a.example"]!)"],
                 "accounts": [{"id": "bank-a.example/eur", "currency": "EUR", "creditLimit": "0.00"},
                              {"id": "bank-a.example/jpy", "currency": "JPY"}]},
                {"name": "bank-b.example", "roles": ["partner"], "keys": ["\(vkeys["bank-b.example"]!)"],
                 "accounts": [{"id": "bank-b.example/eur", "currency": "EUR", "creditLimit": "50.00"},
                              {"id": "bank-b.example/jpy", "currency": "JPY"}]},
                {"name": "bank-c.example", "roles": ["partner"], "keys": ["\(vkeys["bank-c.example"]!)"],
                 "accounts": [{"id": "bank-c.example/eur", "currency": "EUR"}]},
                {"name": "central.example", "roles": ["issuer"], "keys": ["\(vkeys["central.example"]!)"]},
                {"name": "auditor-1.example", "roles": ["witness", "auditor"], "keys": ["\(vkeys["auditor-1.example"]!)"]\(witnessURL.map { #", "url": "\#($0)""# } ?? "")}
              ],
              "policies": {"deposit": "role(issuer)", "transfer": "all(payer, payee)",
                           "finality": "thresh(1, role(validator))", "witness": "thresh(1, role(witness))",
                           "governance": "\(governance)"}
            }
            """
        try genesis.write(toFile: genesisPath, atomically: true, encoding: .utf8)
        let r = try cairn("init", "--genesis", genesisPath, "--data", data, "--key", key("bank-a.example"))
        guard r.status == 0 else { throw CairnError(.storage, "init failed: \(r)") }
    }

    deinit { try? FileManager.default.removeItem(at: dir) }

    static func keygen(_ name: String, out: String, witness: Bool = false) throws -> String {
        let r = try cairn(["keygen", "--name", name, "--out", out] + (witness ? ["--witness"] : []))
        guard r.status == 0 else { throw CairnError(.storage, "keygen failed: \(r)") }
        return r.out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func file(_ text: String) throws -> String {
        counter += 1
        let path = dir.appendingPathComponent("n\(counter).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `cairn notice ...` with `--data`, written to a file; returns the path.
    func notice(_ args: String...) throws -> String { try notice(args) }

    func transfer(_ from: String, _ to: String, _ amount: String, _ extra: String...) throws -> String {
        try notice(["transfer", "--from", from, "--to", to, "--amount", amount, "--currency", "EUR"] + extra)
    }

    func notice(_ args: [String], env: [String: String] = [:]) throws -> String {
        let r = try cairn(["notice"] + args + ["--data", data], env: env)
        guard r.status == 0 else { throw CairnError(.usage, "notice failed: \(r)") }
        return try file(r.out)
    }

    /// Signs with each member's key in turn; returns the envelope's path.
    func sign(_ path: String, by signers: String...) throws -> String {
        var current = path
        for s in signers {
            let r = try cairn("sign", "--key", key(s), current)
            guard r.status == 0 else { throw CairnError(.usage, "sign failed: \(r)") }
            current = try file(r.out)
        }
        return current
    }

    func submit(_ paths: String..., json: Bool = true) throws -> CLIResult {
        try cairn(["submit", "--data", data] + paths + (json ? ["--json"] : []))
    }

    func seal() throws -> CLIResult { try cairn("seal", "--data", data, "--json") }

    /// `n` deposits into `account` of 1.00, 2.00, ... EUR, each signed by the issuer; their paths.
    func signedDeposits(_ n: Int, to account: String = "bank-a.example/eur") throws -> [String] {
        try (0..<n).map { i in
            try sign(try notice("deposit", "--to", account, "--amount", "\(i + 1).00", "--currency", "EUR"), by: "central.example")
        }
    }

    /// Deposits and seals, so accounts have money to move.
    func fund(_ deposits: [(String, String)]) throws {
        for (account, amount) in deposits {
            let n = try notice("deposit", "--to", account, "--amount", amount, "--currency", account.hasSuffix("jpy") ? "JPY" : "EUR")
            let r = try submit(try sign(n, by: "central.example"))
            guard r.status == 0 else { throw CairnError(.usage, "deposit refused: \(r)") }
        }
        guard try seal().status == 0 else { throw CairnError(.usage, "seal failed") }
    }

    func checkpoint() throws -> String { try cairn("checkpoint", "--data", data).out }

    func verify() throws -> CLIResult { try cairn("verify", "--data", data) }
}

/// Runs the independent Python verifier (Tests/Interop/cairn_audit.py). It needs python3 with
/// `cryptography` and `jcs`; `.ci/run` installs them, and a missing one fails the test loudly.
func pythonAudit(_ args: [String]) throws -> CLIResult {
    let script = repoRoot.appendingPathComponent("Tests/Interop/cairn_audit.py").path
    return try runProcess("/usr/bin/env", ["python3", script] + args)
}
