import CairnCore
import Dispatch
import Foundation

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

    /// Leaves checked ahead of the replay at a time.
    let chunk: UInt64

    public init(store: any LedgerStore, chunk: UInt64 = 1024, progress: @escaping (UInt64, UInt64) -> Void = { _, _ in }) {
        precondition(chunk > 0, "a chunk holds at least one leaf")
        self.store = store
        self.chunk = chunk
        self.progress = progress
    }

    public func verify() throws -> Result<VerifyReport, VerifyFailure> {
        let genesis = store.genesis
        let head = try store.head().header
        var state = LedgerState(genesis: genesis)
        var log = CompactRange()
        var report = VerifyReport()
        var prevHash = Hash(Array(repeating: 0, count: 32))!
        var prevTime = genesis.time
        var leaves = LeafStream(store: store, end: head.logSize, chunk: chunk)
        for height in 0...head.height {
            do {
                guard let block = try store.block(at: height) else {
                    return .failure(VerifyFailure(height: height, reason: "block is missing"))
                }
                if let reason = try verifyBlock(
                    block, height: height, prevHash: prevHash, prevTime: prevTime, leaves: &leaves, state: &state, log: &log,
                    report: &report)
                {
                    return .failure(VerifyFailure(height: height, reason: reason))
                }
                prevHash = block.hash
                prevTime = block.header.time
            } catch let error as CairnError {
                // A row that does not even parse is a failure of the block it belongs to. The
                // store's own failures (I/O, a locked file) are not verdicts: they are thrown.
                return .failure(VerifyFailure(height: height, reason: error.message))
            }
            report.blocks += 1
            progress(height, head.height)
        }
        let stray = try store.strayRows(after: head)
        guard stray == 0 else {
            return .failure(VerifyFailure(height: head.height + 1, reason: "\(stray) derived rows belong to no block"))
        }
        // Each block's index rows match its leaves; across blocks, an id must not repeat.
        if let repeated = try store.repeatedIDs().first {
            return .failure(VerifyFailure(height: repeated.height, reason: "notice \(repeated.id) is in the index more than once"))
        }
        if let fault = try store.idLookupFault() {
            return .failure(VerifyFailure(height: head.height, reason: fault))
        }
        return .success(report)
    }

    /// One leaf read from the store, parsed, hashed, and its signatures checked.
    struct CheckedLeaf: Sendable {
        var envelope: Envelope
        var hash: Hash
        var signatureFailure: String?
    }

    /// The log's leaves in order, each chunk read, parsed, hashed and signature-checked on the other
    /// cores while the caller applies the chunks before it. A chunk is checked against the keys of
    /// the state when it is started; one whose keys changed before it is taken is checked again.
    struct LeafStream {
        let store: any LedgerStore
        /// The log size of the head: no leaf at or beyond it is read.
        let end: UInt64
        private var current: (start: UInt64, chunk: Chunk)?
        /// The chunks after the current one, being prepared, in order: two, so the checks go on
        /// while the caller does a block's own work between chunks (with one, the cores waited
        /// for the caller to take it before the next chunk was started).
        private var ahead: [(start: UInt64, chunk: Pending)] = []
        static let depth = 2
        private var position: UInt64 = 0

        /// Leaves per chunk.
        let size: UInt64

        init(store: any LedgerStore, end: UInt64, chunk: UInt64) {
            self.store = store
            self.end = end
            size = chunk
        }

        private func count(from start: UInt64) -> UInt64 { Swift.min(size, end - start) }

        /// The next leaf, and the `keysVersion` its signatures were checked against. A leaf that
        /// cannot be read or parsed throws when it is taken, so the error names its block.
        mutating func next(state: LedgerState) throws(CairnError) -> (leaf: CheckedLeaf, keysVersion: Int) {
            guard position < end else {
                throw CairnError(.invalidBlock, "leaf \(position) is beyond the head's log of \(end) leaves")
            }
            if current == nil || position >= current!.start + UInt64(current!.chunk.leaves.count) {
                // A chunk that could not be read is one failure, shorter than its place: then the
                // chunks started after it are not where the stream is, and are left.
                if ahead.first?.start != position { ahead = [] }
                let taken = ahead.isEmpty ? nil : ahead.removeFirst().chunk.wait()
                let ready =
                    taken.flatMap { $0.keysVersion == state.keysVersion ? $0 : nil }
                    ?? LeafStream.prepare(store: store, from: position, count: count(from: position), state: state)
                current = (position, ready)
                var following = ahead.last.map { $0.start + count(from: $0.start) } ?? position + UInt64(ready.leaves.count)
                while ahead.count < Self.depth, following < end {
                    ahead.append(
                        (following, LeafStream.prefetch(store: store, from: following, count: count(from: following), state: state)))
                    following += count(from: following)
                }
            }
            let c = current!
            defer { position += 1 }
            return (try c.chunk.leaves[Int(position - c.start)].get(), c.chunk.keysVersion)
        }

        struct Chunk: Sendable {
            var leaves: [Result<CheckedLeaf, CairnError>]
            var keysVersion: Int
        }

        final class Pending: @unchecked Sendable {
            private var value: Chunk?
            private let done = DispatchSemaphore(value: 0)

            func fulfil(_ v: Chunk) {
                value = v
                done.signal()
            }

            func wait() -> Chunk {
                done.wait()
                return value!
            }
        }

        /// Prepares a chunk on a thread of its own. Not on a GCD queue: `concurrentPerform` called
        /// from a GCD worker spread the checks over little more than one core here.
        static func prefetch(store: any LedgerStore, from start: UInt64, count: UInt64, state: LedgerState) -> Pending {
            let pending = Pending()
            nonisolated(unsafe) let store = store
            Thread { pending.fulfil(prepare(store: store, from: start, count: count, state: state)) }.start()
            return pending
        }

        /// `count` leaves from `start`, each parsed, hashed and checked, or the reason it is not.
        static func prepare(store: any LedgerStore, from start: UInt64, count: UInt64, state: LedgerState) -> Chunk {
            let bytes: [[UInt8]]
            do { bytes = try store.leaves(from: start, count: count) } catch {
                return Chunk(leaves: [.failure(CairnError(.storage, "leaf \(start): \(error)"))], keysVersion: state.keysVersion)
            }
            var leaves = parallelMap(bytes) { b -> Result<CheckedLeaf, CairnError> in
                do throws(CairnError) {
                    let e = try Envelope(leaf: b)
                    var failure: String?
                    do throws(CairnError) { try Rules.verifySignatures(e, in: state) } catch { failure = error.description }
                    return .success(CheckedLeaf(envelope: e, hash: Merkle.leafHash(b), signatureFailure: failure))
                } catch {
                    return .failure(error)
                }
            }
            for (i, l) in leaves.enumerated() {
                if case .failure(let error) = l {
                    leaves[i] = .failure(CairnError(error.code, "leaf \(start + UInt64(i)): \(error.message)"))
                }
            }
            for i in UInt64(bytes.count)..<count {
                leaves.append(.failure(CairnError(.invalidBlock, "leaf \(start + i) is missing from the store")))
            }
            return Chunk(leaves: leaves, keysVersion: state.keysVersion)
        }
    }

    /// Returns the reason the block fails, or nil.
    private func verifyBlock(
        _ block: StoredBlock, height: UInt64, prevHash: Hash, prevTime: Timestamp, leaves: inout LeafStream,
        state: inout LedgerState, log: inout CompactRange, report: inout VerifyReport
    ) throws -> String? {
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
        }

        // Leaves arrive parsed, hashed and signature-checked on the other cores; apply in order. A
        // leaf checked against keys that an earlier leaf has since changed is checked here instead.
        var ids: [String] = []
        var kinds: [String] = []
        var nodes: [MerkleNode] = []
        let before = state.balances
        let stateBefore = state
        // Timeouts fire by themselves at the start of the block, before its notices.
        if height > 0 {
            // A block holds a notice, a rejection, or a timeout that fired.
            let fired = Contracts.fireTimeouts(at: h.time, on: &state)
            guard h.count > 0 || !h.rejected.isEmpty || !fired.isEmpty else { return "block is empty" }
        }
        for i in 0..<h.count {
            let leafIndex = h.firstLeaf + i
            let (leaf, keysVersion) = try leaves.next(state: state)
            let e = leaf.envelope
            let checked = keysVersion == state.keysVersion
            if checked, let failure = leaf.signatureFailure { return failure }
            // Refs are looked up before the notice is applied: a failed read throws, and is
            // never taken for an unknown ref.
            let refRecords = e.notice.refs.isEmpty ? [:] : try store.notices(e.notice.refs)
            let committedEarlier = { (ref: String) -> Bool in
                guard let r = refRecords[ref], r.status == .committed, let li = r.leafIndex else { return false }
                return li < leafIndex
            }
            if case .failure(let error) = Rules.apply(e, to: &state, time: h.time, signaturesVerified: checked, refStatus: committedEarlier)
            {
                return "leaf \(leafIndex) (notice \(e.notice.id)) does not apply: \(error)"
            }
            log.append(leafHash: leaf.hash) { level, idx, hash in
                if level > 0 { nodes.append(MerkleNode(level: level, index: idx, hash: hash)) }
            }
            ids.append(e.notice.id)
            kinds.append(e.notice.kind.rawValue)
            report.signatures += UInt64(e.signatures.count)
        }
        report.leaves += h.count
        report.rejected += UInt64(h.rejected.count)
        guard h.logSize == log.size else { return "logSize is \(h.logSize), recomputed \(log.size)" }
        guard h.logRoot == log.root else { return "logRoot is \(h.logRoot.hex), recomputed \(log.root.hex)" }
        guard h.stateRoot == state.stateRoot else { return "stateRoot is \(h.stateRoot.hex), recomputed \(state.stateRoot.hex)" }
        guard h.stateSize == state.stateSize else { return "stateSize is \(h.stateSize), recomputed \(state.stateSize)" }

        // Seals and checkpoint: signed by validators, satisfying the finality policy.
        do throws(CairnError) {
            try h.checkSeals(block.seals, in: state)
            try h.checkCheckpoint(block.checkpoint, in: state)
        } catch {
            return error.message
        }

        // Derived rows must be exactly what the replay produced.
        let rows = try store.derivedRows(of: h)
        let order = { (a: MerkleNode, b: MerkleNode) in (a.level, a.index) < (b.level, b.index) }
        guard rows.nodes.sorted(by: order) == nodes.sorted(by: order) else {
            return "stored subtree hashes differ from the recomputed ones"
        }
        var changed: [String: Int64] = [:]
        for (i, a) in state.accounts.enumerated() where height == 0 || state.balances[i] != before[i] { changed[a.id] = state.balances[i] }
        guard rows.balances.count == changed.count, rows.balances.allSatisfy({ changed[$0.account] == $0.balance }) else {
            return "stored balances differ from the recomputed ones"
        }
        var expectedNotices = ids.enumerated().map { i, id in
            NoticeRecord(id: id, status: .committed, height: height, leafIndex: h.firstLeaf + UInt64(i))
        }
        expectedNotices += h.rejected.map { NoticeRecord(id: $0.id, status: .rejected, height: height, code: $0.code) }
        let stored = rows.notices.map {
            NoticeRecord(id: $0.id, status: $0.status, height: $0.height, leafIndex: $0.leafIndex, code: $0.code)
        }
        guard stored.sorted(by: { $0.id < $1.id }) == expectedNotices.sorted(by: { $0.id < $1.id }) else {
            return "the notice index differs from the block's leaves and rejections"
        }
        // Each row has its own place in the block, 0 to n-1 (in the block's order, or in id
        // order for blocks that a schema migration moved).
        if let places = rows.places, places.sorted() != Array(0..<Int64(places.count)) {
            return "the notice index files the block's notices at places \(places.sorted()), not 0 to \(places.count - 1)"
        }
        // Opening a ledger finds its key changes and contracts by the kind each row records.
        for (i, id) in ids.enumerated() where rows.kinds[id] != .some(kinds[i]) {
            return "the notice index records notice \(id) as \(rows.kinds[id].flatMap { $0 } ?? "no kind"), but its leaf is \(kinds[i])"
        }
        for r in h.rejected where rows.kinds[r.id] != .some(nil) {
            return "the notice index records a kind for rejected notice \(r.id)"
        }
        if let indexed = rows.indexedLogSize, indexed != Int64(h.logSize) {
            return "the store files the block under log size \(indexed), but its header says \(h.logSize)"
        }
        // Witness cosignatures are outside the chain, but served with its checkpoints: each must
        // be a valid tlog-cosignature/v1 line by a witness key, on this block's checkpoint.
        if let reason = Self.cosignatureFault(rows.cosignatures, header: h, state: state) { return reason }
        let instances = state.instanceChanges(since: stateBefore)
        let storedInstances = rows.instances.sorted { $0.id < $1.id }
        guard storedInstances.count == instances.count,
            zip(storedInstances, instances).allSatisfy({ $0.id == $1.id && $0.contract == $1.contract && $0.state == $1.state })
        else {
            return "stored contract instances differ from the recomputed ones"
        }
        return nil
    }

    /// Why a kept cosignature line is not a witness's valid tlog-cosignature/v1 on the checkpoint
    /// of block `h`, or nil when every line is.
    static func cosignatureFault(_ lines: [String], header h: BlockHeader, state: LedgerState) -> String? {
        let g = state.genesis
        let text = Checkpoint(origin: g.origin, size: h.logSize, root: h.logRoot, height: h.height, blockHash: h.hash).text
        let keys = g.members(withRole: "witness").flatMap { state.keys[$0] ?? [] }.filter { $0.type == .cosignature }
        for line in lines {
            let fault = "a witness cosignature kept for block \(h.height) is not a valid cosignature of its checkpoint"
            do throws(CairnError) {
                let note = try SignedNote(parsing: text + "\n" + line)
                let (verified, invalid) = note.verify(keys: keys)
                guard note.signatures.count == 1, verified.count == 1, invalid.isEmpty else { return fault }
            } catch {
                return "\(fault): \(error.message)"
            }
        }
        return nil
    }
}
