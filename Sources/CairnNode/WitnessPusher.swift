import AsyncHTTPClient
import CairnCore
import CairnLedger
import CairnStore
import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization
import Tracing

/// Sends each new checkpoint to the witnesses listed in genesis (C2SP tlog-witness
/// `add-checkpoint`) and stores the cosignatures they return, after checking them.
final class WitnessPusher: Sendable {
    struct Target: Sendable {
        var name: String
        var url: String
        var keys: [VerifierKey]
    }

    let store: SQLiteStore
    let targets: [Target]
    let metrics: NodeMetrics
    let halt: SealingHalt
    let client: HTTPClient?
    /// Blocks to witness, each with the span context of its sealing.
    private let stream: AsyncStream<(StoredBlock, ServiceContext)>
    private let input: AsyncStream<(StoredBlock, ServiceContext)>.Continuation
    /// The size each witness is known to hold (learnt from its answers; nil until the first).
    private let known = Mutex<[String: UInt64]>([:])

    init(store: SQLiteStore, genesis: Genesis, tls: TLSConfiguration?, metrics: NodeMetrics, halt: SealingHalt) {
        self.store = store
        self.halt = halt
        self.metrics = metrics
        targets = genesis.members.compactMap { m in
            guard m.roles.contains(.witness), let url = m.url else { return nil }
            return Target(name: m.name, url: url, keys: m.keys.filter { $0.type == .cosignature })
        }
        (stream, input) = AsyncStream.makeStream(of: (StoredBlock, ServiceContext).self, bufferingPolicy: .unbounded)
        if targets.isEmpty {
            client = nil
        } else {
            var c = HTTPClient.Configuration(tlsConfiguration: tls)
            c.timeout = .init(connect: .seconds(5), read: .seconds(10))
            client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
        }
    }

    func enqueue(_ block: StoredBlock, context: ServiceContext) {
        guard !targets.isEmpty else { return }
        input.yield((block, context))
    }

    /// Takes blocks in order; each witness gets every checkpoint, one call at a time.
    func run() async {
        for await (block, context) in stream {
            if Task.isCancelled { return }
            await withTaskGroup(of: Void.self) { group in
                for t in targets { group.addTask { await self.push(block, to: t, context: context) } }
            }
        }
    }

    func finish() { input.finish() }

    /// Closes the HTTP client, once `run` has returned.
    func shutdown() async {
        try? await client?.shutdown()
    }

    /// Sends the block's checkpoint to one witness, in a span under the block's seal span;
    /// AsyncHTTPClient sends the W3C traceparent of the current span with the request.
    func push(_ block: StoredBlock, to t: Target, context: ServiceContext) async {
        guard client != nil else { return }
        await withSpan("witness add-checkpoint", context: context, ofKind: .internal) { span in
            span.attributes["cairn.witness"] = t.name
            span.attributes["cairn.height"] = Int(block.header.height)
            await send(block, to: t, span: span)
        }
    }

    private func send(_ block: StoredBlock, to t: Target, span: any Span) async {
        guard let client else { return }
        var logger = NodeLog.logger
        logger[metadataKey: "witness"] = "\(t.name)"
        logger[metadataKey: "height"] = "\(block.header.height)"
        let size = block.header.logSize
        var old = known.withLock { $0[t.name] } ?? 0
        for attempt in 0..<2 {
            // A witness that already holds a larger tree cannot go back; nothing to send.
            if old > size { return }
            let started = ContinuousClock.now
            do {
                var request = HTTPClientRequest(url: t.url + "/add-checkpoint")
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
                request.body = .bytes(ByteBuffer(string: try requestBody(old: old, block: block)))
                let response = try await client.execute(request, timeout: .seconds(10))
                let body = String(buffer: try await response.body.collect(upTo: 1 << 16))
                metrics.witness(t.name, latency: ContinuousClock.now - started)
                switch response.status.code {
                case 200:
                    try accept(body, from: t, block: block)
                    known.withLock { $0[t.name] = size }
                    logger.info("witness cosigned", metadata: ["size": "\(size)"])
                    return
                case 409 where attempt == 0:
                    guard let theirs = UInt64(body.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                        throw CairnError(.invalidNote, "409 without a size")
                    }
                    known.withLock { $0[t.name] = theirs }
                    old = theirs
                    continue
                case 422:
                    // The witness holds a checkpoint this log is not consistent with: a fork.
                    let reason =
                        "witness \(t.name) refused the checkpoint of block \(block.header.height) as inconsistent with the one it cosigned (422: \(body.prefix(200)))"
                    halt.halt(reason)
                    metrics.halted.record(Int64(1))
                    metrics.witnessError(t.name, reason: "422")
                    logger.critical("sealing stopped: a witness reports a fork", metadata: ["reason": "\(reason)"])
                    return
                default:
                    span.setStatus(SpanStatus(code: .error, message: "witness answered \(response.status.code)"))
                    metrics.witnessError(t.name, reason: String(response.status.code))
                    logger.error(
                        "witness refused the checkpoint",
                        metadata: ["status": "\(response.status.code)", "body": "\(body.prefix(300))", "old": "\(old)", "size": "\(size)"])
                    return
                }
            } catch {
                span.recordError(error)
                metrics.witnessError(t.name, reason: error is CairnError ? "bad_response" : "unreachable")
                logger.error("witness call failed", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// `old N`, the consistency proof's hashes, a blank line, and the validators' checkpoint.
    func requestBody(old: UInt64, block: StoredBlock) throws -> String {
        let size = block.header.logSize
        let hashes = old == 0 || old == size ? [] : try store.consistencyProof(old: old, new: size)
        return "old \(old)\n" + hashes.map { $0.base64 + "\n" }.joined() + "\n" + block.checkpoint
    }

    /// Keeps the witness's cosignature, if every returned line by one of its keys verifies (as
    /// Go's `note.Open`: a bad line by a known key refuses the whole answer, even beside a good one).
    func accept(_ body: String, from t: Target, block: StoredBlock) throws {
        let text = try SignedNote(parsing: block.checkpoint).text
        let note = try SignedNote(parsing: text + "\n" + body)
        let verified = try note.open(keys: t.keys).get()
        guard let good = note.signatures.first(where: { s in verified.contains { $0.keyID == s.keyID && $0.name == s.name } }) else {
            throw CairnError(.invalidNote, "the witness returned no valid cosignature for its key")
        }
        try store.putCosignature(height: block.header.height, witness: t.name, line: good.line)
    }
}
