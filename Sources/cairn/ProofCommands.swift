import ArgumentParser
import CairnCore
import CairnLedger
import CairnStore

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Print the signed checkpoint (C2SP) at the latest block, or at the block ending at --size.")

    @OptionGroup var target: LedgerOrNode
    @Option(help: "The log size of the checkpoint.") var size: UInt64?
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let text: String
            if target.isRemote {
                let path = "/checkpoint" + (size.map { "?size=\($0)" } ?? "")
                text = try target.remote.with { try await $0.request("GET", path).text }
            } else {
                let ledger = try target.open()
                text = try ledger.witnessedCheckpoint(try ledger.block(forSize: size)).encoded
            }
            if output.json {
                let c = try Checkpoint(parsing: try SignedNote(parsing: text).text)
                printJSON(["height": c.block.map { .int($0.height) } ?? .null, "size": .int(c.size), "checkpoint": .string(text)])
            } else {
                print(text, terminator: "")
            }
        }
    }
}

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print an inclusion proof (.tlog-proof) for a notice, or with --consistency a consistency proof.")

    @OptionGroup var target: LedgerOrNode
    @Argument(help: "The notice id.") var id: String?
    @Option(help: "Prove against the checkpoint at this log size (inclusion), or up to it (consistency; same as --to).") var size: UInt64?
    @Flag(help: "Append the member.update leaves the proof needs, for keys rotated after genesis.") var withKeys = false
    @Flag(help: "Print a consistency proof instead.") var consistency = false
    @Option(help: "The old size of the consistency proof.") var from: UInt64?
    @Option(help: "The new size of the consistency proof (default: the latest).") var to: UInt64?
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let text: String
            if consistency {
                guard let from else { throw CairnError(.usage, "--consistency needs --from N") }
                let to = self.to ?? size
                if target.isRemote {
                    let path = "/v1/proofs/consistency?from=\(from)" + (to.map { "&to=\($0)" } ?? "")
                    text = try target.remote.with { try await $0.request("GET", path).text }
                } else {
                    text = try target.open().consistencyProof(from: from, to: to).encoded
                }
            } else {
                guard let id else { throw CairnError(.usage, "give a notice id, or --consistency --from N") }
                if target.isRemote {
                    let query = [size.map { "size=\($0)" }, withKeys ? "withKeys=true" : nil].compactMap { $0 }.joined(separator: "&")
                    let path = "/v1/notices/\(id)/proof" + (query.isEmpty ? "" : "?" + query)
                    text = try target.remote.with { try await $0.request("GET", path).text }
                } else {
                    text = try target.open().proofText(id: id, size: size, withKeys: withKeys)
                }
            }
            if output.json { printJSON(["proof": .string(text)]) } else { print(text, terminator: "") }
        }
    }
}

struct VerifyProof: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-proof", abstract: "Check a .tlog-proof offline with only the genesis file, and print the notice it proves.")

    @Option(help: "The genesis file.") var genesis: String
    @Argument(help: "The .tlog-proof file.") var proof: String
    @Flag(help: "Also require witness cosignatures that satisfy the genesis witness policy.") var requireWitnesses = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let g = try Genesis(bytes: try readBytes(genesis))
            let proofs = try TlogProof.parseMany(try readText(proof))
            let p = try ProofVerifier.verify(proofs, genesis: g, requireWitnesses: requireWitnesses).get()
            let n = p.envelope.notice
            if output.json {
                printJSON([
                    "ok": .bool(true), "id": .string(n.id), "index": .int(p.index), "size": .int(p.checkpoint.size),
                    "root": .string(p.checkpoint.root.base64), "block": p.checkpoint.block.map { .int($0.height) } ?? .null,
                    "signers": .array(p.envelope.signatures.map { .string($0.signer) }),
                    "checkpointSigners": .array(p.signers.map(JSONValue.string)), "cosigners": .array(p.cosigners.map(JSONValue.string)),
                    "notice": n.body,
                ])
            } else {
                print("ok: notice \(n.id) is leaf \(p.index) of \(p.checkpoint.size) in \(p.checkpoint.origin)")
                if let b = p.checkpoint.block { print("  block \(b.height) \(b.hash.hex)") }
                print("  signed by \(p.envelope.signatures.map(\.signer).joined(separator: ", "))")
                print(
                    "  checkpoint signed by \(p.signers.joined(separator: ", "))\(p.cosigners.isEmpty ? "" : ", cosigned by " + p.cosigners.joined(separator: ", "))"
                )
                print("  notice \(String(decoding: n.canonicalBody, as: UTF8.self))")
            }
        }
    }
}

struct ProveBalance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove-balance", abstract: "Prove an account's balance after a block against its header's stateRoot.")

    @OptionGroup var data: DataOption
    @OptionGroup var target: AccountAtHeight
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let ledger = try data.open()
            let (a, at) = try target.resolve(ledger)
            let proof = try BalanceProof.make(store: ledger.store, account: a.id, height: at)
            print(String(decoding: JSON.canonical(proof.json), as: UTF8.self))
        }
    }
}

struct VerifyBalance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-balance", abstract: "Check a balance proof offline with only the genesis file.")

    @Option(help: "The genesis file.") var genesis: String
    @Argument(help: "The balance proof file.") var proof: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let g = try Genesis(bytes: try readBytes(genesis))
            let p = try BalanceProof(parsing: try readBytes(proof)).verify(genesis: g).get()
            if output.json {
                printJSON([
                    "ok": .bool(true), "account": .string(p.account), "currency": .string(p.currency), "balance": .string(p.balance),
                    "height": .int(p.height),
                ])
            } else {
                print("ok: \(p.account) held \(p.balance) \(p.currency) after block \(p.height)")
            }
        }
    }
}
