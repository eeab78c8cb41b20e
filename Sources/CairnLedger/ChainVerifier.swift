import CairnCore
import Dispatch

/// What a full verification covered.
public struct VerifyReport: Sendable, Equatable {
    public var blocks: UInt64 = 0
    public var leaves: UInt64 = 0
    public var signatures: UInt64 = 0
    public var rejected: UInt64 = 0
}

/// The first block that does not verify, and why.
public struct VerifyFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var height: UInt64
    public var reason: String
    public var description: String { "block \(height) does not verify: \(reason)" }
}

/// Replays the chain from genesis and the leaves alone: every signature (re-checked, no cached
/// verdicts), every policy, every balance, every root and hash. It then compares each derived
/// row in the store (subtree hashes, balances, the notice index) with what it recomputed.
/// Memory stays flat: it holds one block and the O(log n) right edge of the log.
public struct ChainVerifier {
    let store: any LedgerStore
    /// Called after each block with (height, head height).
    var progress: (UInt64, UInt64) -> Void

    public init(store: any LedgerStore, progress: @escaping (UInt64, UInt64) -> Void = { _, _ in }) {
        self.store = store
        self.progress = progress
    }

    public func verify() throws -> Result<VerifyReport, VerifyFailure> {
        let genesis = store.genesis
        let head = try store.head().header.height
        var state = LedgerState(genesis: genesis)
        var log = CompactRange()
        var report = VerifyReport()
        var prevHash = Hash(Array(repeating: 0, count: 32))!
        var prevTime = genesis.time
        // Pipeline: while block h is applied in order, the next block is read, parsed and its
        // signatures checked on the other cores, against the keys before block h. If block h
        // changes keys, that work is stale and is redone.
        var next = prefetch(0, state: state)
        for height in 0...head {
            var prepared = next.wait()
            if prepared.keysVersion != state.keysVersion { prepared = prepare(height, state: state) }
            if height < head { next = prefetch(height + 1, state: state) }
            let block: StoredBlock
            do {
                block = try prepared.block.get()
                if let reason = try verifyBlock(
                    prepared, height: height, prevHash: prevHash, prevTime: prevTime, state: &state, log: &log, report: &report)
                {
                    return .failure(VerifyFailure(height: height, reason: reason))
                }
            } catch {
                // A row that does not even parse is a failure of the block it belongs to.
                return .failure(VerifyFailure(height: height, reason: "\(error)"))
            }
            prevHash = block.hash
            prevTime = block.header.time
            report.blocks += 1
            progress(height, head)
        }
        let stray = try store.strayRows(above: head)
        guard stray == 0 else {
            return .failure(VerifyFailure(height: head + 1, reason: "\(stray) derived rows belong to no block"))
        }
        return .success(report)
    }

    /// A block read from the store, its leaves parsed and hashed, and their signatures checked
    /// against the keys of `keysVersion`.
    struct Prepared: Sendable {
        var block: Result<StoredBlock, CairnError>
        var leaves: Result<[(envelope: Envelope, hash: Hash, signatureFailure: String?)], CairnError>
        var keysVersion: Int
    }

    final class Pending: @unchecked Sendable {
        private var value: Prepared?
        private let done = DispatchSemaphore(value: 0)

        func fulfil(_ v: Prepared) {
            value = v
            done.signal()
        }

        func wait() -> Prepared {
            done.wait()
            return value!
        }
    }

    func prefetch(_ height: UInt64, state: LedgerState) -> Pending {
        let pending = Pending()
        nonisolated(unsafe) let verifier = self
        DispatchQueue.global().async { pending.fulfil(verifier.prepare(height, state: state)) }
        return pending
    }

    func prepare(_ height: UInt64, state: LedgerState) -> Prepared {
        let version = state.keysVersion
        let block: StoredBlock
        do {
            guard let b = try store.block(at: height) else {
                return Prepared(block: .failure(CairnError(.notFound, "block is missing")), leaves: .success([]), keysVersion: version)
            }
            block = b
        } catch {
            let e = (error as? CairnError) ?? CairnError(.storage, "\(error)")
            return Prepared(block: .failure(e), leaves: .success([]), keysVersion: version)
        }
        let h = block.header
        let bytes: [[UInt8]]
        do { bytes = try store.leaves(from: h.firstLeaf, count: h.count) } catch {
            return Prepared(block: .success(block), leaves: .failure(CairnError(.storage, "\(error)")), keysVersion: version)
        }
        let checked = parallelMap(bytes) { b -> Result<(envelope: Envelope, hash: Hash, signatureFailure: String?), CairnError> in
            do throws(CairnError) {
                let e = try Envelope(leaf: b)
                var failure: String?
                do throws(CairnError) { try Rules.verifySignatures(e, in: state) } catch { failure = error.description }
                return .success((e, Merkle.leafHash(b), failure))
            } catch {
                return .failure(error)
            }
        }
        var leaves: [(envelope: Envelope, hash: Hash, signatureFailure: String?)] = []
        for (i, c) in checked.enumerated() {
            switch c {
            case .success(let leaf): leaves.append(leaf)
            case .failure(let error):
                return Prepared(
                    block: .success(block), leaves: .failure(CairnError(error.code, "leaf \(h.firstLeaf + UInt64(i)): \(error.message)")),
                    keysVersion: version)
            }
        }
        if UInt64(bytes.count) != h.count {
            return Prepared(
                block: .success(block),
                leaves: .failure(CairnError(.invalidBlock, "header counts \(h.count) leaves, the store has \(bytes.count)")),
                keysVersion: version)
        }
        return Prepared(block: .success(block), leaves: .success(leaves), keysVersion: version)
    }

    /// Returns the reason the block fails, or nil.
    private func verifyBlock(
        _ prepared: Prepared, height: UInt64, prevHash: Hash, prevTime: Timestamp, state: inout LedgerState,
        log: inout CompactRange, report: inout VerifyReport
    ) throws -> String? {
        let block = try prepared.block.get()
        let h = block.header
        let genesis = store.genesis
        guard h.height == height else { return "header says height \(h.height)" }
        guard h.hash == block.hash else { return "stored hash \(block.hash.hex) is not the hash of the header, \(h.hash.hex)" }
        guard h.prev == prevHash else { return "prev is \(h.prev.hex), but the previous block hashes to \(prevHash.hex)" }
        guard h.time >= prevTime else { return "time \(h.time) is before the previous block's \(prevTime)" }
        guard h.firstLeaf == log.size else { return "firstLeaf is \(h.firstLeaf), but the log had \(log.size) leaves" }
        if height == 0 {
            guard h.genesis == genesis.hash else { return "block 0 does not commit to this genesis file" }
            guard h.count == 0, h.rejected.isEmpty, h.time == genesis.time else { return "block 0 is not a bare genesis block" }
        } else {
            guard h.genesis == nil else { return "only block 0 may carry a genesis hash" }
            guard h.count > 0 || !h.rejected.isEmpty else { return "block is empty" }
        }

        // Leaves were parsed, hashed and signature-checked on all cores by `prepare`; apply in order.
        // A block that changes keys is checked in order instead, since its later leaves may use the new keys.
        let leaves: [(envelope: Envelope, hash: Hash, signatureFailure: String?)]
        switch prepared.leaves {
        case .success(let l): leaves = l
        case .failure(let error): return error.message
        }
        let envelopes = leaves.map(\.envelope)
        let leafHashes = leaves.map(\.hash)
        let hasKeyChange = envelopes.contains { $0.notice.kind == .memberUpdate }
        if !hasKeyChange, let failure = leaves.first(where: { $0.signatureFailure != nil })?.signatureFailure {
            return failure
        }
        var nodes: [MerkleNode] = []
        let before = state.balances
        let stateBefore = state
        // Timeouts fire by themselves at the start of the block, before its notices.
        if height > 0 { Contracts.fireTimeouts(at: h.time, on: &state) }
        for (i, e) in envelopes.enumerated() {
            let leafIndex = h.firstLeaf + UInt64(i)
            let committedEarlier = { (ref: String) -> Bool in
                guard let r = try? self.store.notice(ref), r.status == .committed, let li = r.leafIndex else { return false }
                return li < leafIndex
            }
            if case .failure(let error) = Rules.apply(
                e, to: &state, time: h.time, signaturesVerified: !hasKeyChange, refStatus: committedEarlier)
            {
                return "leaf \(leafIndex) (notice \(e.notice.id)) does not apply: \(error)"
            }
            log.append(leafHash: leafHashes[i]) { level, idx, hash in
                nodes.append(MerkleNode(level: level, index: idx, hash: hash))
            }
            report.signatures += UInt64(e.signatures.count)
        }
        report.leaves += h.count
        report.rejected += UInt64(h.rejected.count)
        guard h.logSize == log.size else { return "logSize is \(h.logSize), recomputed \(log.size)" }
        guard h.logRoot == log.root else { return "logRoot is \(h.logRoot.hex), recomputed \(log.root.hex)" }
        guard h.stateRoot == state.stateRoot else { return "stateRoot is \(h.stateRoot.hex), recomputed \(state.stateRoot.hex)" }

        // Seals and checkpoint: signed by validators, satisfying the finality policy.
        do throws(CairnError) {
            try h.checkSeals(block.seals, in: state)
            try h.checkCheckpoint(block.checkpoint, in: state)
        } catch {
            return error.message
        }

        // Derived rows must be exactly what the replay produced.
        let rows = try store.derivedRows(height: height)
        let order = { (a: MerkleNode, b: MerkleNode) in (a.level, a.index) < (b.level, b.index) }
        guard rows.nodes.sorted(by: order) == nodes.sorted(by: order) else {
            return "stored subtree hashes differ from the recomputed ones"
        }
        var changed: [String: Int64] = [:]
        for (i, a) in state.accounts.enumerated() where height == 0 || state.balances[i] != before[i] { changed[a.id] = state.balances[i] }
        guard rows.balances.count == changed.count, rows.balances.allSatisfy({ changed[$0.account] == $0.balance }) else {
            return "stored balances differ from the recomputed ones"
        }
        var expectedNotices = envelopes.enumerated().map { i, e in
            NoticeRecord(id: e.notice.id, status: .committed, height: height, leafIndex: h.firstLeaf + UInt64(i))
        }
        expectedNotices += h.rejected.map { NoticeRecord(id: $0.id, status: .rejected, height: height, code: $0.code) }
        let stored = rows.notices.map {
            NoticeRecord(id: $0.id, status: $0.status, height: $0.height, leafIndex: $0.leafIndex, code: $0.code)
        }
        guard stored.sorted(by: { $0.id < $1.id }) == expectedNotices.sorted(by: { $0.id < $1.id }) else {
            return "the notice index differs from the block's leaves and rejections"
        }
        let instances = state.instanceChanges(since: stateBefore)
        let storedInstances = rows.instances.sorted { $0.id < $1.id }
        guard storedInstances.count == instances.count,
            zip(storedInstances, instances).allSatisfy({ $0.id == $1.id && $0.contract == $1.contract && $0.state == $1.state })
        else {
            return "stored contract instances differ from the recomputed ones"
        }
        return nil
    }
}
