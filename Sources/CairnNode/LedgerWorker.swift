import CairnCore
import CairnLedger
import CairnStore
import Foundation
import Tracing

/// One submission waiting for the next group commit, with what the node needs to answer it.
struct Submission {
    /// The envelope, its signatures checked by the request's handler (see `LedgerWorker.state`).
    var checked: CheckedEnvelope
    /// The caller and its `Idempotency-Key`, when it gave one: the response is recorded under it.
    var member: String
    var idempotencyKey: String?
    var requestHash: [UInt8]
}

/// What a submission is answered with: a status and a JSON body, recorded for its idempotency key.
struct Reply: Sendable {
    var status: Int
    var body: [UInt8]
}

/// The one thread that owns the ledger. SQLite calls block, so they stay off the async pool.
///
/// Its loop takes every submission that arrived since the last turn and admits them with one
/// durable commit of the pending pool (group commit, DESIGN §3), then seals a block when
/// `blockMax` complete notices are waiting or `interval` has passed since the last seal.
/// Reads run on the same thread, between turns, so they see a consistent ledger.
final class LedgerWorker: @unchecked Sendable {
    private let ledger: Ledger
    private let store: SQLiteStore
    private let key: SigningKey
    private let interval: Double
    private let blockMax: Int
    private let clock: @Sendable () -> Timestamp
    /// Seconds an idempotency record is kept (`NodeConfig.idempotencyRetention`).
    private let idempotencyRetention: Int64
    private let metrics: NodeMetrics
    private let halt: SealingHalt
    /// Called on the worker thread after each block is durably sealed, within its span.
    private let onSeal: @Sendable (StoredBlock, ServiceContext) -> Void

    private let condition = NSCondition()
    /// The committed state as of the last block. Request handlers check signatures against it on
    /// their own threads, while this one admits and seals; keys change only with a block.
    private var published: LedgerState
    private var submissions: [(Submission, CheckedContinuation<Reply, Never>)] = []
    private var jobs: [(Ledger) -> Void] = []
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(
        ledger: Ledger, store: SQLiteStore, key: SigningKey, interval: Double, blockMax: Int, clock: @escaping @Sendable () -> Timestamp,
        idempotencyRetention: Int64, metrics: NodeMetrics, halt: SealingHalt,
        onSeal: @escaping @Sendable (StoredBlock, ServiceContext) -> Void
    ) {
        self.halt = halt
        self.ledger = ledger
        self.store = store
        self.key = key
        self.interval = interval
        self.blockMax = blockMax
        self.clock = clock
        self.idempotencyRetention = idempotencyRetention
        self.metrics = metrics
        self.onSeal = onSeal
        published = ledger.state
    }

    /// The committed state as of the last block.
    var state: LedgerState {
        condition.lock()
        defer { condition.unlock() }
        return published
    }

    func start() {
        let t = Thread { [self] in loop() }
        t.name = "cairn-ledger"
        thread = t
        t.start()
    }

    /// Finishes the turn in progress (a block is one transaction, never half written), answers
    /// what is queued, and returns when the thread has ended. The pending pool stays on disk.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        if thread != nil { finished.wait() }
    }

    /// Admits a submission; returns once the pool holding it is on disk.
    func submit(_ s: Submission) async -> Reply {
        await withCheckedContinuation { c in
            condition.lock()
            if stopping {
                condition.unlock()
                c.resume(returning: LedgerWorker.reply(APIError(.serviceUnavailable, "shutting_down", "the node is shutting down")))
                return
            }
            submissions.append((s, c))
            condition.signal()
            condition.unlock()
        }
    }

    /// Runs `body` on the ledger thread between turns.
    func read<T: Sendable>(_ body: @escaping (Ledger) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            condition.lock()
            if stopping {
                condition.unlock()
                c.resume(throwing: APIError(.serviceUnavailable, "shutting_down", "the node is shutting down"))
                return
            }
            jobs.append { ledger in c.resume(with: Result { try body(ledger) }) }
            condition.signal()
            condition.unlock()
        }
    }

    // MARK: The loop

    private func loop() {
        var nextSeal = nextWake(sealed: false)
        var completeWaiting = (try? store.pendingCount().complete) ?? 0
        while true {
            condition.lock()
            while submissions.isEmpty, jobs.isEmpty, !stopping, completeWaiting < blockMax, Date() < nextSeal {
                _ = condition.wait(until: nextSeal)
            }
            let batch = submissions
            let work = jobs
            let stop = stopping
            submissions.removeAll(keepingCapacity: true)
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()

            for job in work { job(ledger) }
            if !batch.isEmpty { completeWaiting += admit(batch) }
            if completeWaiting >= blockMax || Date() >= nextSeal {
                completeWaiting = sealAll()
                nextSeal = nextWake(sealed: true)
            }
            if stop {
                condition.lock()
                let empty = submissions.isEmpty && jobs.isEmpty
                condition.unlock()
                if empty { break }
            }
        }
        finished.signal()
    }

    /// When to seal next: after the interval, or when the earliest contract timeout falls due,
    /// whichever is first, so that a timeout fires with no other traffic. A timeout due already
    /// is sealed at once on start; after a seal (`sealed`) it is one that seal could not fire
    /// (its payment failed), and waits for the interval.
    private func nextWake(sealed: Bool) -> Date {
        let regular = Date().addingTimeInterval(interval)
        guard let due = ledger.state.nextTimeout else { return regular }
        let (wait, overflow) = due.subtractingReportingOverflow(clock().seconds)
        guard !overflow else { return regular }
        guard wait > 0 else { return sealed ? regular : Date() }
        return min(regular, Date().addingTimeInterval(Double(wait) + 0.05))
    }

    /// Admits a batch with one pool commit; answers each; returns how many became complete.
    private func admit(_ batch: [(Submission, CheckedContinuation<Reply, Never>)]) -> Int {
        metrics.submitted.increment(by: Int64(batch.count))
        let results: [Result<SubmitResult, CairnError>]
        do {
            results = try ledger.submit(batch.map(\.0.checked), now: clock())
        } catch {
            let e = (error as? CairnError) ?? CairnError(.storage, "\(error)")
            for (_, c) in batch { c.resume(returning: LedgerWorker.reply(APIError(e))) }
            return 0
        }
        var completed = 0
        var replies: [Reply] = []
        for result in results {
            switch result {
            case .success(let r):
                if r.duplicate, let rec = r.record {
                    replies.append(LedgerWorker.reply(LedgerWorker.duplicate(rec)))
                } else if r.unchanged {
                    replies.append(
                        LedgerWorker.reply(
                            APIError(
                                .conflict, "duplicate_notice",
                                "notice \(r.id) is already \(r.status.rawValue) and this submission adds no signature; nothing changed",
                                details: .object(JSONObject([("id", .string(r.id)), ("status", .string(r.status.rawValue))])))))
                } else {
                    if r.status == .complete { completed += 1 }
                    var o = JSONObject([("id", .string(r.id)), ("status", .string(r.status.rawValue))])
                    if let missing = r.missing { o["missing"] = .string(missing) }
                    replies.append(Reply(status: 202, body: JSON.canonical(.object(o)) + [10]))
                }
            case .failure(let e):
                metrics.refused.increment()
                replies.append(LedgerWorker.reply(APIError(e)))
            }
        }
        metrics.completed.increment(by: Int64(completed))
        // Record the first response for each idempotency key, in one commit, before answering.
        let keyed = zip(batch, replies).compactMap { (item, reply) -> IdempotentRecord? in
            guard let key = item.0.idempotencyKey else { return nil }
            return IdempotentRecord(
                member: item.0.member, key: key, request: item.0.requestHash, status: reply.status, response: reply.body)
        }
        if !keyed.isEmpty {
            let now = clock()
            do {
                try store.putIdempotentResponses(keyed, now: now, keepSince: now.adding(seconds: -idempotencyRetention))
            } catch {
                // The notices are safely pooled; only a retry's replayed answer is lost (it gets 409 instead).
                NodeLog.logger.error("couldn't record idempotency keys", metadata: ["error": "\(error)"])
            }
        }
        for ((_, c), reply) in zip(batch, replies) { c.resume(returning: reply) }
        return completed
    }

    /// Seals blocks until no complete notice is left; returns how many complete ones remain (0).
    private func sealAll() -> Int {
        if let reason = halt.reason {
            NodeLog.logger.error("not sealing: a witness reported a fork", metadata: ["reason": "\(reason)"])
            return 0
        }
        while true {
            let sealed = withSpan("seal block", ofKind: .internal) { span -> Bool? in
                let started = ContinuousClock.now
                let result: SealResult?
                do {
                    result = try ledger.seal(key: key, now: clock(), max: blockMax)
                } catch {
                    span.recordError(error)
                    metrics.sealErrors.increment()
                    NodeLog.logger.error("couldn't seal a block", metadata: ["error": "\(error)"])
                    return nil
                }
                guard let result else { return false }
                let h = result.block.header
                span.attributes["cairn.height"] = Int(h.height)
                span.attributes["cairn.committed"] = result.committed.count
                metrics.sealTime.record(ContinuousClock.now - started)
                metrics.committed.increment(by: Int64(result.committed.count))
                metrics.rejected.increment(by: Int64(result.rejected.count))
                metrics.height.record(Int64(h.height))
                NodeLog.logger.info(
                    "sealed block",
                    metadata: [
                        "height": "\(h.height)", "committed": "\(result.committed.count)", "rejected": "\(result.rejected.count)",
                        "logSize": "\(h.logSize)",
                    ])
                condition.lock()
                published = ledger.state
                condition.unlock()
                onSeal(result.block, span.context)
                return true
            }
            guard sealed == true else { return sealed == nil ? ((try? store.pendingCount().complete) ?? 0) : 0 }
            let left = (try? store.pendingCount().complete) ?? 0
            if left == 0 { return 0 }
        }
    }

    static func duplicate(_ rec: NoticeRecord) -> APIError {
        var d = JSONObject([("id", .string(rec.id)), ("status", .string(rec.status.rawValue))])
        if let h = rec.height { d["height"] = .number(Double(h)) }
        if let c = rec.code { d["code"] = .string(c) }
        if let m = rec.message { d["reason"] = .string(m) }
        let how = rec.code.map { " (\($0))" } ?? ""
        return APIError(
            .conflict, "duplicate_notice",
            "notice \(rec.id) was already \(rec.status.rawValue) at height \(rec.height ?? 0)\(how); nothing changed",
            details: .object(d))
    }

    static func reply(_ e: APIError) -> Reply {
        Reply(status: Int(e.status.code), body: JSON.canonical(e.json) + [10])
    }
}
