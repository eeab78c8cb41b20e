import CairnCore
import CairnScript

/// The outcome of a submission.
public struct SubmitResult: Sendable, Equatable {
    public var id: String
    public var status: NoticeRecord.Status
    /// True when the notice was already committed or rejected: nothing changed.
    public var duplicate: Bool
    /// What the policy still needs while pending.
    public var missing: String?
    public var record: NoticeRecord?
    /// True when the notice was already in the pool and this submission added no signature.
    public var unchanged = false
}

/// The outcome of sealing a block.
public struct SealResult: Sendable {
    public var block: StoredBlock
    public var committed: [String]
    public var rejected: [Rejection]
    /// The instances whose timeouts fired at the start of the block.
    public var timeouts: [String] = []
    /// The money contracts moved in the block, in order: timeouts first, then each notice's.
    public var movements: [ContractMovement] = []
}

/// The single-node ledger engine: admits submissions into the pending pool, seals blocks, and
/// answers proofs, all through a `LedgerStore`. It holds the current state in memory, rebuilt
/// from the store on open. Time and keys are passed in.
public final class Ledger {
    public let store: any LedgerStore
    public private(set) var state: LedgerState
    public private(set) var head: StoredBlock
    /// The committed state with the complete pending notices applied in arrival order: what the
    /// next seal would produce now. A complete submission that cannot apply to it is refused.
    private var projected: LedgerState?
    private var projectedIDs = Set<String>()

    public var genesis: Genesis { store.genesis }

    /// Opens a ledger on an initialised store and rebuilds the current state from it.
    public init(store: any LedgerStore) throws {
        self.store = store
        head = try store.head()
        state = try Ledger.state(of: store, after: head)
        try Ledger.checkHead(head, state: state, store: store)
    }

    /// Refuses to build on a head that the chain does not vouch for: its stored hash is its
    /// header's, it follows the block before it, its seals satisfy finality, and the state and log
    /// rebuilt from the store are the ones its header commits to. A row added above the real head
    /// (by hand, or by a bug) is refused here, before anything is sealed on it. Cheap: a few
    /// signatures and the log's peaks. The rest of the chain is `cairn verify`'s.
    static func checkHead(_ head: StoredBlock, state: LedgerState, store: any LedgerStore) throws {
        let h = head.header
        var state = state
        func refuse(_ why: String) -> CairnError {
            CairnError(.storage, "couldn't open the ledger: its head, block \(h.height), \(why); run cairn verify")
        }
        guard h.hash == head.hash else { throw refuse("is stored under a hash that is not its header's") }
        if h.height > 0 {
            guard let prev = try store.block(at: h.height - 1), prev.hash == h.prev, prev.header.logSize == h.firstLeaf else {
                throw refuse("does not follow block \(h.height - 1)")
            }
        }
        do throws(CairnError) { try h.checkSeals(head.seals, in: state) } catch { throw refuse("is not sealed: \(error.message)") }
        guard state.stateRoot == h.stateRoot, state.stateSize == h.stateSize else {
            throw refuse("commits to a state other than the one its rows rebuild")
        }
        let root = try CompactRange(size: h.logSize, peaks: peaks(size: h.logSize, source: store)).root
        guard root == h.logRoot else { throw refuse("commits to a log other than the one its subtree rows hold") }
    }

    /// The state after `block`, rebuilt from the store: its balances and instances, and the key
    /// changes and deployed contracts of the log up to it.
    public static func state(of store: any LedgerStore, after block: StoredBlock) throws -> LedgerState {
        let h = block.header
        var state = LedgerState(genesis: store.genesis)
        try state.restore(balances: store.balances(at: h.height))
        let history = try
            (store.leafIndices(kind: "member.update", below: h.logSize) + store.leafIndices(kind: "contract.deploy", below: h.logSize))
            .sorted()
        for index in history {
            guard let leaf = try store.leaves(from: index, count: 1).first else {
                throw CairnError(.storage, "couldn't open the ledger: leaf \(index) is indexed but missing; run cairn verify")
            }
            let e = try Envelope(leaf: leaf)
            guard e.notice.kind == .memberUpdate || e.notice.kind == .contractDeploy else {
                throw CairnError(
                    .storage,
                    "couldn't open the ledger: leaf \(index) is indexed as a key change or contract, but is a \(e.notice.kind.rawValue); run cairn verify"
                )
            }
            try Rules.perform(try Rules.effect(of: e.notice, in: state), on: &state, id: e.notice.id)
        }
        state.restore(closed: try store.closedInstances(at: h.height))
        for row in try store.instances(at: h.height) {
            guard let contract = state.contracts[row.contract] else {
                throw CairnError(.storage, "instance \(row.id) runs contract \(row.contract), which is not deployed")
            }
            do {
                state.setInstance(row.id, contract: row.contract, state: try InstanceState(decoding: row.state, contract: contract))
            } catch {
                throw CairnError(.storage, "couldn't read instance \(row.id): \(error)")
            }
        }
        return state
    }

    /// Writes block 0 for `genesis` into an empty store, sealed by `key`, which must be a
    /// validator's key in genesis.
    public static func makeGenesisBlock(genesis: Genesis, key: SigningKey) throws(CairnError) -> BlockCommit {
        guard let m = genesis.member(key.name), m.roles.contains(.validator), m.keys.contains(key.verifierKey) else {
            throw CairnError(.invalidKey, "key \(key.verifierKey) is not a validator key in genesis")
        }
        var state = LedgerState(genesis: genesis)
        let header = BlockHeader(
            height: 0, prev: Hash(Array(repeating: 0, count: 32))!, time: genesis.time, logSize: 0,
            logRoot: Merkle.emptyRoot, firstLeaf: 0, count: 0, stateRoot: state.stateRoot, stateSize: state.stateSize,
            proposer: key.name,
            genesis: genesis.hash)
        return BlockCommit(
            block: sealed(header, key: key, origin: genesis.origin), leaves: [], rejections: [], nodes: [],
            balances: state.accounts.map { ($0.id, 0) })
    }

    static func sealed(_ header: BlockHeader, key: SigningKey, origin: String) -> StoredBlock {
        let hash = header.hash
        let seal = Seal(signer: key.name, keyID: key.verifierKey.keyID, sig: key.signature(for: header.signingMessage))
        var note = SignedNote(
            text: Checkpoint(origin: origin, size: header.logSize, root: header.logRoot, height: header.height, blockHash: hash).text)
        note.sign(with: key)
        return StoredBlock(header: header, hash: hash, seals: [seal], checkpoint: note.encoded)
    }

    // MARK: Submission

    /// Adds a notice, or more signatures for it, to the pending pool (DESIGN §1.3). A committed or
    /// rejected notice returns its outcome with `duplicate` set, and nothing changes.
    public func submit(_ envelope: Envelope, now: Timestamp) throws -> SubmitResult {
        try submit([envelope], now: now)[0].get()
    }

    /// Admits several submissions and makes them durable with one commit (group commit).
    /// Each result is either the outcome or the error for that submission.
    public func submit(_ envelopes: [Envelope], now: Timestamp) throws -> [Result<SubmitResult, CairnError>] {
        try submit(Ledger.check(envelopes, in: state), now: now)
    }

    /// Checks the signatures of `envelopes` on all cores against the keys of `state`. Callable
    /// from any thread, while the ledger does other work: this is most of admission's cost.
    public static func check(_ envelopes: [Envelope], in state: LedgerState) -> [CheckedEnvelope] {
        parallelMap(envelopes) { CheckedEnvelope($0, in: state) }
    }

    /// Admits submissions whose signatures were checked by `check`, with one commit.
    ///
    /// Each notice is merged with the signatures it already has in the pool, which were verified
    /// when they were admitted; only the new ones are checked (again, if the keys changed since
    /// `check`). Then its fields, signers and policy are checked, complete notices are projected
    /// onto the next block's state, and the pool is written in one commit.
    public func submit(_ checked: [CheckedEnvelope], now: Timestamp) throws -> [Result<SubmitResult, CairnError>] {
        try admit(checked, now: now, direct: false).results.map { $0! }
    }

    /// Admits submissions and seals blocks at once, until no complete notice is pending: what
    /// `submit` and then `seal` until nil would do, with the same blocks, but a complete notice
    /// that had no pool row goes straight into a block, after the pool's complete notices, without
    /// being written to the pool, read back and deleted. One that the block's state refuses
    /// (overdraft, unknown ref) is refused as `submit` would refuse it, and recorded nowhere.
    /// A notice that a block commits or rejects says so, with its height (and leaf index).
    public func commit(_ checked: [CheckedEnvelope], key: SigningKey, now: Timestamp, max: Int = Ledger.blockMax) throws -> (
        results: [Result<SubmitResult, CairnError>], blocks: [SealResult]
    ) {
        var (results, direct) = try admit(checked, now: now, direct: true)
        var queue = direct[...]
        var blocks: [SealResult] = []
        while true {
            let sealed = try seal(key: key, now: now, max: max, direct: &queue) { entry, error in
                for i in entry.members { results[i] = .failure(error) }
            }
            if let sealed { blocks.append(sealed) } else if queue.isEmpty { break }
        }
        var outcomes: [String: NoticeRecord] = [:]
        // Sized once: grown a doubling at a time, it was a twentieth of the ledger thread's time.
        outcomes.reserveCapacity(blocks.reduce(0) { $0 + $1.committed.count + $1.rejected.count })
        for b in blocks {
            let h = b.block.header
            for (i, id) in b.committed.enumerated() {
                outcomes[id] = NoticeRecord(id: id, status: .committed, height: h.height, leafIndex: h.firstLeaf + UInt64(i))
            }
            for r in b.rejected {
                outcomes[r.id] = NoticeRecord(id: r.id, status: .rejected, height: h.height, code: r.code, message: r.message)
            }
        }
        let final = zip(checked, results).map { c, result -> Result<SubmitResult, CairnError> in
            switch result {
            case .some(.failure(let error)): return .failure(error)
            case .some(.success(let r)) where r.duplicate || r.status != .complete: return .success(r)
            default:
                // Complete: sealed by now, from the pool or straight into a block.
                let id = c.envelope.notice.id
                guard let record = outcomes[id] else { return result ?? .failure(CairnError(.storage, "notice \(id) was not sealed")) }
                var r = (try? result?.get()) ?? SubmitResult(id: id, status: .committed, duplicate: false)
                r.status = record.status
                r.record = record
                return .success(r)
            }
        }
        return (final, blocks)
    }

    /// A complete notice admitted by `commit` without a pool row, and the submissions it merges.
    struct DirectEntry {
        var members: [Int]
        var entry: ParsedEntry
    }

    /// The checks of `submit`. With `direct`, a complete notice with no pool row is returned to be
    /// sealed instead of being projected and pooled; its results are left nil.
    private func admit(_ checked: [CheckedEnvelope], now: Timestamp, direct: Bool) throws -> (
        results: [Result<SubmitResult, CairnError>?], direct: [DirectEntry]
    ) {
        var results = [Result<SubmitResult, CairnError>?](repeating: nil, count: checked.count)
        // A group's leaf, hash and checks are the checked envelope's until other signatures are
        // merged in.
        var groups: [(id: String, envelope: Envelope, members: [Int], checked: CheckedEnvelope?)] = []
        var groupOf: [String: Int] = [:]
        groupOf.reserveCapacity(checked.count)
        // Signatures already in the pool, by id: a resubmission that adds none changes nothing.
        var pooled: [String: Int] = [:]
        let known = try store.noticesBeforeWriting(checked.map(\.envelope.notice.id))
        for (i, c) in checked.enumerated() {
            let incoming = c.envelope
            let id = incoming.notice.id
            if let record = known[id], record.status == .committed || record.status == .rejected {
                results[i] = .success(SubmitResult(id: id, status: record.status, duplicate: true, record: record))
                continue
            }
            let failure = c.keysVersion == state.keysVersion ? c.failure : CheckedEnvelope(incoming, in: state).failure
            if let failure {
                // A field or signer error is reported before a bad signature, as one pass would.
                do throws(CairnError) {
                    _ = try Rules.admit(incoming, in: state, now: now, signaturesVerified: true)
                    results[i] = .failure(failure)
                } catch {
                    results[i] = .failure(error)
                }
                continue
            }
            if let g = groupOf[id] {
                for s in incoming.signatures { groups[g].envelope.add(s) }
                groups[g].members.append(i)
                groups[g].checked = nil
                continue
            }
            var envelope = incoming
            var alone: CheckedEnvelope? = c
            // The pool row's signatures join only once checked again (unless this process admitted
            // these exact bytes): a row that fails is not this submission's fault, and is replaced.
            if known[id] != nil, let (bytes, _) = try store.pending(id), let row = verifiedPoolEntry(id: id, leaf: bytes) {
                let before = row.envelope.signatures
                for s in before { envelope.add(s) }
                pooled[id] = before.count
                alone = nil
            }
            groupOf[id] = groups.count
            groups.append((id, envelope, [i], alone))
        }
        var writes: [PendingItem] = []
        var parsed: [(id: String, entry: ParsedEntry)] = []
        var sealNow: [DirectEntry] = []
        for group in groups {
            let outcome: Result<SubmitResult, CairnError>
            do throws(CairnError) {
                let e = group.envelope
                let (a, checks) = try Rules.admitted(e, in: state, now: now, signaturesVerified: true, checks: group.checked?.checks)
                let bytes = group.checked?.leaf ?? e.leaf
                // What sealing takes: the checked envelope's own entry while its checks hold.
                func entry() -> ParsedEntry {
                    guard let c = group.checked else {
                        return ParsedEntry(leaf: bytes, envelope: e, leafHash: Merkle.leafHash(bytes), checks: checks)
                    }
                    return c.checks?.hold(in: state) == true
                        ? c.entry : ParsedEntry(leaf: c.leaf, envelope: e, leafHash: c.leafHash, checks: checks)
                }
                if direct, a.complete, pooled[group.id] == nil {
                    sealNow.append(DirectEntry(members: group.members, entry: entry()))
                    continue
                }
                let unchanged = pooled[group.id] == e.signatures.count
                if !unchanged {
                    if a.complete { try project(e, now: now) }
                    writes.append(PendingItem(id: group.id, envelope: bytes, complete: a.complete, expiresAt: e.notice.expiresAt))
                    if a.complete { parsed.append((group.id, entry())) }
                }
                outcome = .success(
                    SubmitResult(
                        id: group.id, status: a.complete ? .complete : .pending, duplicate: false, missing: a.missing, unchanged: unchanged)
                )
            } catch {
                outcome = .failure(error)
            }
            for i in group.members { results[i] = outcome }
        }
        if !writes.isEmpty { try store.putPending(writes) }
        for p in parsed where parsedPool.count < Ledger.parsedPoolLimit { parsedPool[p.id] = p.entry }
        return (results, sealNow)
    }

    /// Complete notices admitted by this process, parsed, by id: sealing takes them from here
    /// rather than parsing the pool's rows again. Bounded; a row not found here is parsed.
    private var parsedPool: [String: ParsedEntry] = [:]
    static let parsedPoolLimit = 50_000

    /// Told of pool rows that sealing removed because they were not what admission wrote: the
    /// node logs them and counts them in a metric.
    public var onDroppedPoolRows: ([(id: String, reason: CairnError)]) -> Void = { _ in }

    /// A pool row, from `parsedPool` when it holds these exact bytes.
    private func cached(id: String, leaf: [UInt8]) -> ParsedEntry? {
        if let hit = parsedPool[id], hit.leaf == leaf { return hit }
        return nil
    }

    /// A pool row, from `parsedPool` when it holds these exact bytes, else parsed and checked
    /// again (`recheck`): nothing read back from the database is trusted. Nil for a row that is
    /// not what admission wrote. A signature by a key no longer active is left to the rules,
    /// which refuse it as they would any such signature.
    private func verifiedPoolEntry(id: String, leaf: [UInt8]) -> ParsedEntry? {
        if let hit = cached(id: id, leaf: leaf) { return hit }
        guard case .success(let row) = Ledger.recheck(id: id, leaf: leaf, in: state) else { return nil }
        return row.entry
    }

    /// Parses a pool row read from the store and checks it as admission did: its id column names
    /// the notice it holds, and every signature by a key active in `state` verifies. A row that
    /// fails was changed or forged outside Cairn (a flipped bit, an edited amount, a junk
    /// signature): it leaves the pool without a verdict, because the notice it names did not fail.
    /// `allChecked` is false when a signature names a key that `state` does not hold (removed
    /// since admission, or never a member's): the rules then check that notice's signatures in full
    /// when they apply it, and refuse such a key with the verdict they give it anywhere
    /// (`unknown_key`, `unknown_signer`), whether or not this process admitted the row.
    static func recheck(id: String, leaf: [UInt8], in state: LedgerState) -> Result<(entry: ParsedEntry, allChecked: Bool), CairnError> {
        do throws(CairnError) {
            let entry = try ParsedEntry(leaf: leaf)
            let notice = entry.envelope.notice
            guard notice.id == id else { throw CairnError(.storage, "pool row \(id) holds notice \(notice.id)") }
            var allChecked = true
            for s in entry.envelope.signatures {
                guard let key = state.key(s.signer, s.keyID) else {
                    allChecked = false
                    continue
                }
                guard key.isValidSignature(s.sig, for: notice.signingMessage) else {
                    throw CairnError(.badSignature, "the signature by \(s.signer)+\(s.keyIDHex) does not verify")
                }
            }
            return .success((entry, allChecked))
        } catch {
            return .failure(CairnError(.storage, "pool row \(id) is not what admission wrote: \(error.message)"))
        }
    }

    /// The refs of `envelopes` that the store holds as committed, read in one lookup. A storage
    /// error throws: it is never taken for an unknown ref, a verdict every node would have to share.
    private func committedRefs(of envelopes: [Envelope]) throws -> Set<String> {
        var refs = Set<String>()
        for e in envelopes { refs.formUnion(e.notice.refs) }
        guard !refs.isEmpty else { return [] }
        let found = try store.notices(refs.sorted())
        return Set(found.values.filter { $0.status == .committed }.map(\.id))
    }

    /// Applies a complete notice to the projected state, refusing it with the reason it would be
    /// rejected (overdraft, overflow, unknown ref) if it were sealed now.
    private func project(_ envelope: Envelope, now: Timestamp) throws(CairnError) {
        if projected == nil {
            var p = state
            var ids = Set<String>()
            do {
                let rows = try store.completePending(limit: Int.max).compactMap {
                    verifiedPoolEntry(id: $0.id, leaf: $0.envelope)?.envelope
                }
                let committed = try committedRefs(of: rows)
                for e in rows {
                    let known = { (ref: String) in ids.contains(ref) || committed.contains(ref) }
                    if case .success = Rules.apply(e, to: &p, time: now, signaturesVerified: true, refStatus: known) {
                        ids.insert(e.notice.id)
                    }
                }
            } catch {
                throw CairnError(.storage, "couldn't read the pending pool: \(error)")
            }
            projected = p
            projectedIDs = ids
        }
        guard !projectedIDs.contains(envelope.notice.id) else { return }
        // The next block starts by firing the timeouts due by then.
        Contracts.fireTimeouts(at: now, on: &projected!)
        let committed: Set<String>
        do { committed = try committedRefs(of: [envelope]) } catch {
            throw CairnError(.storage, "couldn't look up the refs of notice \(envelope.notice.id): \(error)")
        }
        // Read the set through self: a captured copy would make the insert below copy it whole.
        let known = { (ref: String) in self.projectedIDs.contains(ref) || committed.contains(ref) }
        if case .failure(let error) = Rules.apply(envelope, to: &projected!, time: now, signaturesVerified: true, refStatus: known) {
            throw error
        }
        projectedIDs.insert(envelope.notice.id)
    }

    // MARK: Sealing

    /// How many notices a block holds at most, unless the caller says otherwise (a node cuts
    /// smaller blocks: `NodeConfig.blockMax`).
    public static let blockMax = 10_000

    /// Cuts one block of at most `max` complete notices, in arrival order, at `now` (or the previous
    /// block's time if the clock went back). Returns nil, and writes nothing, when none are complete.
    public func seal(key: SigningKey, now: Timestamp, max: Int = Ledger.blockMax) throws -> SealResult? {
        var none = ArraySlice<DirectEntry>()
        return try seal(key: key, now: now, max: max, direct: &none) { _, _ in }
    }

    /// Cuts one block: the pool's complete notices, then `direct` entries (taken from the front)
    /// while there is room, then the pool's expired incomplete notices. A direct entry that the
    /// rules fail is `refused`: recorded nowhere and taking no room, so the blocks are those that
    /// pooling the entries and sealing would cut. Returns nil, and writes nothing, when the block
    /// would hold no pool row and no leaf.
    private func seal(
        key: SigningKey, now: Timestamp, max: Int, direct: inout ArraySlice<DirectEntry>,
        refused: (DirectEntry, CairnError) -> Void
    ) throws -> SealResult? {
        let prev = head.header
        let time = Swift.max(now, prev.time)
        // Complete notices in arrival order, then incomplete ones that expired: those leave the
        // pool as rejected, so a later resubmission gets that outcome.
        let complete = try store.completePending(limit: max)
        if complete.isEmpty, direct.isEmpty, (state.nextTimeout ?? .max) > time.seconds,
            try store.expiredPending(before: time, limit: 1).isEmpty
        {
            return nil
        }
        var next = state
        next.journal = []
        // Timeouts fire by themselves at the start of the block, before its notices: a block
        // is cut for a due timeout even when no notice waits.
        let fired = Contracts.fireTimeouts(at: time, on: &next)
        var log = try CompactRange(size: prev.logSize, peaks: Ledger.peaks(size: prev.logSize, source: store))
        var leaves: [(id: String, kind: String, leaf: [UInt8])] = []
        var nodes: [MerkleNode] = []
        var rejections: [Rejection] = []
        var seen = Set<String>()
        seen.reserveCapacity(Swift.min(max, complete.count + direct.count))
        // Refs resolve to the block's own earlier leaves, or to notices the store holds as
        // committed, looked up before the notices that name them are applied.
        var committedHere = Set<String>()
        var committedInStore = Set<String>()
        /// Applies a notice to the block's state and appends its leaf; false for a notice already
        /// in the block, which is passed over. `verified`: every signature was checked already.
        func include(_ entry: ParsedEntry, verified: Bool = true) -> Result<Bool, CairnError> {
            let envelope = entry.envelope
            let id = envelope.notice.id
            guard seen.insert(id).inserted else { return .success(false) }
            let committedBefore = { (ref: String) -> Bool in committedHere.contains(ref) || committedInStore.contains(ref) }
            if case .failure(let error) = Rules.apply(
                envelope, to: &next, time: time, signaturesVerified: verified, refStatus: committedBefore, checks: entry.checks)
            {
                return .failure(error)
            }
            leaves.append((id, envelope.notice.kind.rawValue, entry.leaf))
            committedHere.insert(id)
            log.append(leafHash: entry.leafHash) { level, index, hash in
                if level > 0 { nodes.append(MerkleNode(level: level, index: index, hash: hash)) }
            }
            return .success(true)
        }
        /// Applies pool rows in order; one that the rules fail leaves the pool as rejected. What
        /// this process admitted is already parsed and checked; the rest is parsed and its
        /// signatures checked again on all cores (`recheck`): a row that fails that leaves the
        /// pool with no verdict (`dropped`). The pool holds canonical envelopes, so its bytes are
        /// the leaves.
        var poolRows: [(id: String, envelope: [UInt8])] = []
        var dropped: [(id: String, reason: CairnError)] = []
        let keys = state
        func includePoolRows(_ rows: [(id: String, envelope: [UInt8])]) throws {
            var parsed = rows.map { c -> Result<(entry: ParsedEntry, allChecked: Bool), CairnError>? in
                cached(id: c.id, leaf: c.envelope).map { .success(($0, true)) }
            }
            let misses = parsed.indices.filter { parsed[$0] == nil }
            let fresh = parallelMap(misses.map { rows[$0] }) { row in Ledger.recheck(id: row.id, leaf: row.envelope, in: keys) }
            for (i, r) in zip(misses, fresh) { parsed[i] = r }
            committedInStore.formUnion(
                try self.committedRefs(of: parsed.compactMap { if case .success(let r)? = $0 { r.entry.envelope } else { nil } }))
            for (row, result) in zip(rows, parsed) {
                switch result! {
                case .failure(let reason):
                    dropped.append((row.id, reason))
                case .success(let (entry, allChecked)):
                    if case .failure(let error) = include(entry, verified: allChecked) {
                        rejections.append(Rejection(id: row.id, code: error.code.rawValue, message: error.message))
                    }
                }
            }
            poolRows += rows
        }
        try includePoolRows(complete)
        var added = 0
        while poolRows.count + added < max, let d = direct.popFirst() {
            if !d.entry.envelope.notice.refs.isEmpty { committedInStore.formUnion(try self.committedRefs(of: [d.entry.envelope])) }
            switch include(d.entry) {
            case .success(true): added += 1
            case .success(false): refused(d, CairnError(.duplicateNotice, "notice \(d.entry.envelope.notice.id) is already in this block"))
            case .failure(let error): refused(d, error)
            }
        }
        try includePoolRows(try store.expiredPending(before: time, limit: Swift.max(0, max - poolRows.count - added)))
        // Acts still waiting for signatures that this block made impossible (their instance
        // closed, or moved on to a `when` without their action) leave the pool as rejected, here,
        // however full the block is: no later block would change their instance to notice them.
        let moved = Set(next.instanceChanges(since: state).map(\.id))
        if !moved.isEmpty {
            let rows = try store.incompletePendingActs(limit: Int.max)
            for row in rows where !seen.contains(row.id) {
                var entry = cached(id: row.id, leaf: row.envelope)
                if entry == nil {
                    switch Ledger.recheck(id: row.id, leaf: row.envelope, in: keys) {
                    case .failure(let reason): dropped.append((row.id, reason))
                    case .success(let r): entry = r.entry
                    }
                }
                guard let n = entry?.envelope.notice, n.kind == .contractAct, let instance = n.contract?.instance,
                    moved.contains(instance)
                else { continue }
                do throws(CairnError) {
                    _ = try Contracts.possibleAct(n, in: next)
                } catch {
                    seen.insert(row.id)
                    rejections.append(Rejection(id: row.id, code: error.code.rawValue, message: error.message))
                    poolRows.append(row)
                }
            }
        }
        if !dropped.isEmpty {
            // Rows that were not what admission wrote leave the pool, and are reported; the block
            // goes on without them.
            try store.deletePending(dropped.map(\.id))
            for d in dropped { parsedPool[d.id] = nil }
            onDroppedPoolRows(dropped)
            let gone = Set(dropped.map(\.id))
            poolRows.removeAll { gone.contains($0.id) }
        }
        guard !rejections.isEmpty || !leaves.isEmpty || !fired.isEmpty else { return nil }
        let header = BlockHeader(
            height: prev.height + 1, prev: head.hash, time: time, logSize: log.size, logRoot: log.root,
            firstLeaf: prev.logSize, count: UInt64(leaves.count), stateRoot: next.stateRoot, stateSize: next.stateSize,
            proposer: key.name,
            rejected: rejections)
        let block = Ledger.sealed(header, key: key, origin: genesis.origin)
        let changed = next.accounts.indices.filter { next.balances[$0] != state.balances[$0] }
        try store.append(
            BlockCommit(
                block: block, leaves: leaves, rejections: rejections, nodes: nodes,
                balances: changed.map { (next.accounts[$0].id, next.balances[$0]) },
                instances: next.instanceChanges(since: state), pooled: poolRows.map(\.id)))
        let movements = next.journal ?? []
        next.journal = nil
        state = next
        head = block
        projected = nil
        for row in poolRows { parsedPool[row.id] = nil }
        return SealResult(block: block, committed: leaves.map(\.id), rejected: rejections, timeouts: fired, movements: movements)
    }

    // MARK: Contract movements

    /// The money contracts moved in block `height`, in order (the timeouts that fired at its
    /// start, then each notice's), worked out again by replaying the block on the state after
    /// the block before it, with this process's interpreter. The replay must reach the state root
    /// the block commits to.
    public func movements(inBlock height: UInt64) throws -> (timeouts: [String], movements: [ContractMovement]) {
        guard height > 0, let block = try store.block(at: height), let before = try store.block(at: height - 1) else {
            throw CairnError(.notFound, "no block at height \(height) with a block before it")
        }
        let h = block.header
        var s = try Ledger.state(of: store, after: before)
        s.journal = []
        let fired = Contracts.fireTimeouts(at: h.time, on: &s)
        let leaves = try store.leaves(from: h.firstLeaf, count: h.count)
        for leaf in leaves {
            let e = try Envelope(leaf: leaf)
            if case .failure(let error) = Rules.apply(e, to: &s, time: h.time, signaturesVerified: true, refStatus: { _ in true }) {
                throw CairnError(.storage, "block \(height): notice \(e.notice.id) does not apply on replay: \(error); run cairn verify")
            }
        }
        guard s.stateRoot == h.stateRoot else {
            throw CairnError(.storage, "block \(height) does not replay to its stateRoot; run cairn verify")
        }
        return (fired, s.journal ?? [])
    }

    // MARK: Proofs

    /// The hashes of the complete subtrees that make up a tree of `size` leaves, largest first.
    public static func peaks(size: UInt64, source: some MerkleNodeSource) throws -> [Hash] {
        var out: [Hash] = []
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (1 << UInt64(level)) != 0 {
            out.append(try source.node(level: level, index: start >> UInt64(level)))
            start += 1 << UInt64(level)
        }
        return out
    }

    /// The block that a checkpoint of `size` leaves names: the last block ending at that size,
    /// or the head when `size` is nil.
    public func block(forSize size: UInt64?) throws -> StoredBlock {
        guard let size else { return head }
        guard size <= head.header.logSize, let b = try store.lastBlock(withLogSize: size) else {
            throw CairnError(
                .notFound,
                "no block ends at log size \(size) (the log has \(head.header.logSize) leaves; sizes that end a block are listed by `cairn show`)"
            )
        }
        return b
    }

    /// The checkpoint of `block` with the witness cosignatures gathered for it so far: what the
    /// CLI prints and the node serves.
    public func witnessedCheckpoint(_ block: StoredBlock) throws -> SignedNote {
        var note = try SignedNote(parsing: block.checkpoint)
        for line in try store.cosignatures(height: block.header.height) {
            note.signatures += try SignedNote(parsing: "x\n\n" + line).signatures
        }
        return note
    }

    /// A C2SP tlog-proof for a committed notice against the checkpoint at `size` (default: latest).
    public func inclusionProof(id: String, size: UInt64? = nil) throws -> TlogProof {
        guard let record = try store.notice(id) else { throw CairnError(.notFound, "notice \(id) is not known") }
        guard record.status == .committed, let index = record.leafIndex else {
            throw CairnError(.notFound, "notice \(id) is \(record.status.rawValue), not committed: only committed notices have proofs")
        }
        let block = try block(forSize: size)
        guard index < block.header.logSize else {
            throw CairnError(.notFound, "notice \(id) is leaf \(index), beyond the checkpoint of size \(block.header.logSize)")
        }
        guard let leaf = try store.leaves(from: index, count: 1).first else {
            throw CairnError(.storage, "notice \(id) is indexed as leaf \(index), which is missing: run cairn verify")
        }
        return TlogProof(
            extra: leaf, index: index, hashes: try store.inclusionProof(index: index, size: block.header.logSize),
            checkpoint: try witnessedCheckpoint(block))
    }

    /// The `.tlog-proof` text for a notice, as `cairn prove` prints it and the node serves it:
    /// with `withKeys`, followed by the proofs of the key history it needs.
    public func proofText(id: String, size: UInt64?, withKeys: Bool) throws -> String {
        var proofs = [try inclusionProof(id: id, size: size)]
        if withKeys { proofs += try keyHistoryProofs(size: size).filter { $0.index != proofs[0].index } }
        return proofs.map(\.encoded).joined()
    }

    /// The proofs of the `member.update` leaves that signatures in the proved leaf may depend on,
    /// against the same checkpoint, so a verifier can follow the key history from genesis.
    public func keyHistoryProofs(size: UInt64? = nil) throws -> [TlogProof] {
        let block = try block(forSize: size)
        let note = try witnessedCheckpoint(block)
        return try store.leafIndices(kind: "member.update", below: block.header.logSize).map { index in
            guard let leaf = try store.leaves(from: index, count: 1).first else {
                throw CairnError(.storage, "key change leaf \(index) is indexed but missing: run cairn verify")
            }
            return TlogProof(
                extra: leaf, index: index,
                hashes: try store.inclusionProof(index: index, size: block.header.logSize), checkpoint: note)
        }
    }

    /// A consistency proof from `old` to the checkpoint at `new` (default: latest), as a
    /// tlog-witness request body. Requires 0 < old <= new.
    public func consistencyProof(from old: UInt64, to new: UInt64? = nil) throws -> ConsistencyProofFile {
        let block = try block(forSize: new)
        let size = block.header.logSize
        guard old > 0, old <= size else {
            throw CairnError(.usage, "a consistency proof needs 0 < from (\(old)) <= to (\(size))")
        }
        return ConsistencyProofFile(
            oldSize: old, hashes: try store.consistencyProof(old: old, new: size),
            checkpoint: try witnessedCheckpoint(block))
    }
}
