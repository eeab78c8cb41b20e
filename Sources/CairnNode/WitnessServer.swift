import CairnCore
import CairnLedger
import CairnStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A C2SP tlog-witness for one Cairn ledger (`cairn witness serve`). It cosigns a checkpoint only
/// when the ledger's validators signed it under the genesis finality policy and it is consistent
/// with the last checkpoint it cosigned, which it keeps durably in `<data>/witness-checkpoint`.
public final class Witness: Sendable {
    public let genesis: Genesis
    let key: SigningKey
    let statePath: String
    let clock: @Sendable () -> Timestamp
    /// The last cosigned checkpoint; the lock also serializes requests.
    private let latest: Mutex<Checkpoint?>
    static let logger = Logger(label: "cairn.witness")

    public init(genesis: Genesis, key: SigningKey, dataDir: String, clock: @escaping @Sendable () -> Timestamp) throws {
        guard key.verifierKey.type == .cosignature, genesis.member(key.name)?.keys.contains(key.verifierKey) == true,
            genesis.member(key.name)?.roles.contains(.witness) == true
        else {
            throw CairnError(
                .invalidKey, "the key \(key.verifierKey) is not a witness cosigning (0x04) key of \(key.name) in genesis")
        }
        self.genesis = genesis
        self.key = key
        self.clock = clock
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        statePath = dataDir + "/witness-checkpoint"
        if FileManager.default.fileExists(atPath: statePath) {
            let text = try readText(statePath)
            let note = try SignedNote(parsing: text)
            let c = try Checkpoint(parsing: note.text)
            guard c.origin == genesis.origin else {
                throw CairnError(.storage, "\(statePath) holds a checkpoint of \(c.origin), not of \(genesis.origin)")
            }
            latest = Mutex(c)
        } else {
            latest = Mutex(nil)
        }
    }

    /// The size of the last cosigned checkpoint (0 before the first).
    public var size: UInt64 { latest.withLock { $0?.size ?? 0 } }

    /// An answer of the tlog-witness protocol: status, content type, body.
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: String
    }

    /// Handles one `add-checkpoint` request body, as C2SP tlog-witness specifies: 400 for a malformed
    /// request or an old size above the checkpoint's, 404 for another log's origin, 403 when the
    /// validators' signatures do not satisfy finality, 409 with the known size when `old` is not it,
    /// 422 when the consistency proof fails; else 200 with a tlog-cosignature/v1 line.
    public func addCheckpoint(_ body: String) -> Answer {
        func fail(_ status: Int, _ why: String) -> Answer {
            Answer(status: status, contentType: "text/plain; charset=utf-8", body: why + "\n")
        }
        guard let blank = body.range(of: "\n\n") else { return fail(400, "malformed request: no blank line before the checkpoint") }
        let head = body[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = head.first, first.hasPrefix("old "), let old = UInt64(first.dropFirst(4)), String(old) == first.dropFirst(4)
        else {
            return fail(400, "malformed request: the first line must be \"old <size>\"")
        }
        var proof: [Hash] = []
        for (i, line) in head.dropFirst().enumerated() {
            guard let bytes = Base64.decode(line), let h = Hash(bytes) else {
                return fail(400, "malformed request: proof line \(i + 1) is not a base64 SHA-256 hash")
            }
            proof.append(h)
        }
        guard proof.count <= 63 else { return fail(400, "malformed request: more than 63 proof hashes") }
        let noteText = String(body[blank.upperBound...])
        let note: SignedNote
        let checkpoint: Checkpoint
        do {
            note = try SignedNote(parsing: noteText)
            checkpoint = try Checkpoint(parsing: note.text)
        } catch {
            return fail(400, "malformed checkpoint: \(error.message)")
        }
        guard checkpoint.origin == genesis.origin else { return fail(404, "unknown log origin \(checkpoint.origin)") }
        do {
            _ = try ProofVerifier.checkSignatures(note, state: LedgerState(genesis: genesis), requireWitnesses: false)
        } catch {
            return fail(403, "the checkpoint is not signed by the log: \(error.message)")
        }
        guard old <= checkpoint.size else { return fail(400, "old size \(old) is above the checkpoint's size \(checkpoint.size)") }
        return latest.withLock { latest -> Answer in
            let known = latest?.size ?? 0
            guard old == known else {
                return Answer(status: 409, contentType: "text/x.tlog.size", body: "\(known)\n")
            }
            let consistent: Bool
            if let latest, old > 0 {
                consistent =
                    MerkleVerify.consistency(
                        oldSize: old, newSize: checkpoint.size, oldRoot: latest.root, newRoot: checkpoint.root, proof: proof)
                    == .valid
            } else {
                consistent = proof.isEmpty && (checkpoint.size > 0 || checkpoint.root == Merkle.emptyRoot)
            }
            guard consistent else {
                Witness.logger.error(
                    "refused an inconsistent checkpoint",
                    metadata: ["old": "\(old)", "size": "\(checkpoint.size)", "root": "\(checkpoint.root.base64)"])
                return fail(422, "the consistency proof from size \(old) to \(checkpoint.size) does not verify")
            }
            do {
                try writeDurably(noteText, to: statePath)
            } catch {
                return fail(500, "couldn't record the checkpoint: \(error)")
            }
            latest = checkpoint
            var cosigned = SignedNote(text: note.text)
            cosigned.cosign(with: key, timestamp: UInt64(max(0, clock().seconds)))
            return Answer(status: 200, contentType: "text/plain; charset=utf-8", body: cosigned.signatures[0].line)
        }
    }

    /// Serves `POST /add-checkpoint` (and `/healthz`) until SIGTERM or SIGINT.
    public func run(
        host: String, port: Int, tls: TLSConfiguration?, services: [any Service] = [],
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let router = Router()
        router.add(middleware: TracingMiddleware())
        router.get("/healthz") { _, _ in jsonResponse(.object(JSONObject([("status", .string("ok"))]))) }
        router.post("/add-checkpoint") { request, context in
            let logger = context.logger
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: 1 << 20) } catch {
                return textResponse("request body too large\n", status: .contentTooLarge)
            }
            let answer = self.addCheckpoint(String(buffer: body))
            logger.info("add-checkpoint", metadata: ["status": "\(answer.status)", "witness": "\(self.key.name)"])
            return textResponse(answer.body, status: HTTPResponse.Status(code: answer.status), contentType: answer.contentType)
        }
        let app = try httpService(
            router: router, host: host, port: port, tls: tls, serverName: "cairn-witness", logger: Witness.logger,
            onListening: onListening)
        try await ServiceGroup(
            configuration: .init(services: [app] + services, gracefulShutdownSignals: [.sigterm, .sigint], logger: Witness.logger)
        ).run()
    }
}
