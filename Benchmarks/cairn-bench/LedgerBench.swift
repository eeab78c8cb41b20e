import CairnCore
import CairnLedger
import CairnStore
import Foundation

/// Grows one real ledger (SQLite, FULL sync) through the plan's sizes with fully signed transfers
/// (2 signatures each), and at each size measures ingest, proofs, audit, memory and storage.
/// Ingest and audit at a size are read against verifies measured just before that size's ingest.
struct LedgerBench {
    let plan: Plan
    let work: String
    static let partners = 8

    func run(report: inout Report) throws {
        let keys = try (0..<Self.partners).map {
            try SigningKey(name: "bank-\($0).example", seed: [UInt8](repeating: UInt8($0 + 1), count: 32))
        }
        let issuer = try SigningKey(name: "central.example", seed: [UInt8](repeating: 99, count: 32))
        let genesisBytes = Self.genesis(keys: keys, issuer: issuer)
        let genesis = try Genesis(bytes: genesisBytes)
        let dir = LedgerDirectory(work + "/ledger")
        let ledger = try dir.initialize(genesisBytes: genesisBytes, key: keys[0])
        let clock = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        var ids: [String] = []
        for size in plan.sizes {
            FileHandle.standardError.write(Data("ledger at \(size) notices\n".utf8))
            // Submissions arrive as JSON bytes, signed by payer and payee (signing is not timed).
            let submissions = Self.signedTransfers(from: ids.count, to: size, keys: keys, clock: clock)
            // This size's ratios are read against verifies measured now (see `verifyRates`).
            let (one, all) = try Baselines.verifyRates(seconds: plan.seconds)
            let limit = all / 2
            report.add("signature limit, measured before ingest at \(size)", limit, "notices/s", baseline: "all-core verifies / 2")
            let start = now()
            let cpuStart = cpuTime()
            // As in the node: submissions are parsed and their signatures checked on all cores
            // (there by the request handlers), while the ledger thread admits and seals them, a
            // block at a time, straight into blocks (`Ledger.commit`).
            let checker = Checker(
                submissions: submissions, batch: plan.batch, ahead: max(4, 2 * plan.block / plan.batch), state: ledger.state)
            var ledgerThread = 0.0
            var waiting: [CheckedEnvelope] = []
            func commitWaiting() throws {
                let t = now()
                let (results, blocks) = try ledger.commit(waiting, key: keys[0], now: clock, max: plan.block)
                ledgerThread += now() - t
                for r in results {
                    guard case .success(let s) = r, s.status == .committed else { fatalError("bench submission not committed: \(r)") }
                }
                for b in blocks {
                    precondition(b.rejected.isEmpty, "bench rejections: \(b.rejected)")
                    ids += b.committed
                }
                waiting = []
            }
            while let chunk = checker.next() {
                waiting += chunk
                if waiting.count >= plan.block { try commitWaiting() }
            }
            if !waiting.isEmpty { try commitWaiting() }
            let elapsed = now() - start
            let cpu = cpuTime() - cpuStart
            let (_, allAfter) = try Baselines.verifyRates(seconds: plan.seconds)
            report.add("signature limit, measured after ingest at \(size)", allAfter / 2, "notices/s", baseline: "all-core verifies / 2")
            let ingest = Double(submissions.count) / elapsed
            report.add(
                "ingest at \(size), 2 sig/notice, FULL sync", ingest, "notices/s", baseline: "signature limit", ratio: ingest / limit)
            let perNotice = 1e6 / Double(submissions.count)
            // The core time a notice costs, against its two signature checks alone: on 2 cores
            // the ingest ratio cannot exceed (2 verifies) / (core time per notice).
            let twoVerifies = 2e6 / one
            report.add(
                "  core time per notice, all threads", cpu * perNotice, "µs/notice", baseline: "2 verifies on one core",
                ratio: twoVerifies / (cpu * perNotice))
            report.add("  parsing and signature checks (all cores, beside the ledger thread)", checker.busy * perNotice, "µs/notice")
            report.add("  ledger thread: admission and sealing (rules, leaves, block commit)", ledgerThread * perNotice, "µs/notice")
            if plan.ingestOnly { continue }
            try proofs(ledger: ledger, genesis: genesis, ids: ids, size: size, report: &report)
            try audit(dir: dir, size: size, limit: limit, report: &report)
            let disk = ["", "-wal", "-shm"].compactMap {
                (try? FileManager.default.attributesOfItem(atPath: dir.database + $0)[.size] as? NSNumber)?.doubleValue
            }.reduce(0, +)
            let canonical = try Double(ledger.store.leaves(from: 0, count: 64).reduce(0) { $0 + $1.count }) / 64
            report.add(
                "storage at \(size)", disk / Double(size), "bytes/notice", baseline: "canonical leaf",
                ratio: disk / Double(size) / canonical)
        }
    }

    func proofs(ledger: Ledger, genesis: Genesis, ids: [String], size: Int, report: inout Report) throws {
        var rng = SystemRandomNumberGenerator()
        var inclusion: [Double] = []
        var offline: [Double] = []
        var consistency: [Double] = []
        for _ in 0..<plan.proofSamples {
            let id = ids.randomElement(using: &rng)!
            var t = now()
            let proof = try ledger.inclusionProof(id: id)
            inclusion.append(now() - t)
            let text = proof.encoded
            t = now()
            let parsed = try TlogProof.parseMany(text)
            guard case .success = ProofVerifier.verify(parsed, genesis: genesis) else { fatalError("bench proof does not verify") }
            offline.append(now() - t)
            let old = UInt64.random(in: 1...UInt64(size), using: &rng)
            t = now()
            _ = try ledger.consistencyProof(from: old)
            consistency.append(now() - t)
        }
        for (name, samples) in [
            ("inclusion proof from the store", inclusion), ("offline proof check", offline),
            ("consistency proof from the store", consistency),
        ] {
            report.add("\(name) at \(size), p50", percentile(samples, 0.5) * 1e6, "µs")
            report.add("\(name) at \(size), p99", percentile(samples, 0.99) * 1e6, "µs")
        }
    }

    /// `cairn verify` as a subprocess: notices per second against the signature limit, and its peak RSS.
    func audit(dir: LedgerDirectory, size: Int, limit: Double, report: inout Report) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("cairn").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            FileHandle.standardError.write(Data("  (no cairn binary beside cairn-bench; skipping audit)\n".utf8))
            return
        }
        // Three runs: the median rate (one run at 10^4 lasts well under a second, where a burst
        // on this shared machine moves it by hundredths), and the highest peak.
        var rates: [Double] = []
        var maxRSS = 0
        for _ in 0..<3 {
            let start = now()
            let (status, peak) = try Self.spawn(binary, ["verify", "--data", dir.path])
            let seconds = now() - start
            guard status == 0 else { fatalError("cairn verify failed on the bench ledger") }
            rates.append(Double(size) / seconds)
            maxRSS = max(maxRSS, peak)
        }
        let rate = percentile(rates, 0.5)
        report.add("audit (cairn verify) at \(size), median of 3", rate, "notices/s", baseline: "signature limit", ratio: rate / limit)
        report.add("cairn verify peak RSS at \(size), highest of 3", Double(maxRSS) / 1024, "MiB")
        // Export: JSON Lines of the whole ledger, streamed block by block.
        let out = work + "/export.jsonl"
        let exportStart = now()
        let (exportStatus, exportRSS) = try Self.spawn(binary, ["export", "--data", dir.path, "--format", "jsonl", "--out", out])
        let exportSeconds = now() - exportStart
        try? FileManager.default.removeItem(atPath: out)
        guard exportStatus == 0 else { fatalError("cairn export failed on the bench ledger") }
        report.add("export (cairn export, JSON Lines) at \(size)", Double(size) / exportSeconds, "notices/s")
        report.add("cairn export peak RSS at \(size)", Double(exportRSS) / 1024, "MiB")
    }

    /// Runs a program and returns its exit status and peak resident set size in KiB. The peak is
    /// read from the child's /proc/PID/status (VmHWM, which belongs to its own address space),
    /// not from wait4's ru_maxrss: a child spawned with CLONE_VM inherits the parent's high-water
    /// mark there.
    static func spawn(_ path: String, _ args: [String]) throws -> (Int32, Int) {
        var pid: pid_t = 0
        let argv = ([path] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else {
            throw CairnError(.storage, "couldn't start \(path)")
        }
        var peak = 0
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kb = Int(line.split(separator: " ").dropFirst().first ?? "")
            {
                peak = max(peak, kb)
            }
            usleep(5_000)
        }
        return ((status >> 8) & 0xff, peak)
    }

    /// Parses submissions and checks their signatures on all cores, a batch at a time, up to
    /// `ahead` batches ahead of the ledger thread that takes them with `next()`. The bench keeps
    /// at least two blocks' worth and at least four batches in flight, as a node's clients would, so the checks
    /// go on while a block seals, even one that adds the tail to the id index.
    final class Checker: @unchecked Sendable {
        private let condition = NSCondition()
        private var ready: [[CheckedEnvelope]] = []
        private var finished = false
        /// Seconds spent parsing and checking, for the report.
        private(set) var busy = 0.0

        init(submissions: [[UInt8]], batch: Int, ahead: Int, state: LedgerState) {
            let thread = Thread { [self] in
                for start in stride(from: 0, to: submissions.count, by: batch) {
                    let t = now()
                    let chunk = parseAndCheck(submissions[start..<min(start + batch, submissions.count)], in: state)
                    condition.lock()
                    busy += now() - t
                    while ready.count >= ahead { condition.wait() }
                    ready.append(chunk)
                    condition.broadcast()
                    condition.unlock()
                }
                condition.lock()
                finished = true
                condition.broadcast()
                condition.unlock()
            }
            thread.start()
        }

        /// The next checked batch, or nil when all are taken.
        func next() -> [CheckedEnvelope]? {
            condition.lock()
            defer { condition.unlock() }
            while ready.isEmpty && !finished { condition.wait() }
            guard !ready.isEmpty else { return nil }
            condition.broadcast()
            return ready.removeFirst()
        }

    }

    /// Parses submissions and checks their signatures on all cores, each one on one thread from
    /// its bytes to its checked envelope, as a node's request handler does.
    static func parseAndCheck(_ chunk: ArraySlice<[UInt8]>, in state: LedgerState) -> [CheckedEnvelope] {
        parallelMap(chunk.count) { i in CheckedEnvelope(try! Envelope(parsing: chunk[chunk.startIndex + i]), in: state) }
    }

    /// Transfers `from..<to`, each from partner i to partner i+1, signed by both, as envelope JSON.
    static func signedTransfers(from: Int, to: Int, keys: [SigningKey], clock: Timestamp) -> [[UInt8]] {
        parallelMap(to - from) { k in
            let i = from + k
            let a = keys[i % keys.count]
            let b = keys[(i + 1) % keys.count]
            let body = JSONValue.object(
                JSONObject([
                    ("kind", "transfer"), ("submitter", .string(a.name)), ("from", .string("\(a.name)/eur")),
                    ("to", .string("\(b.name)/eur")),
                    ("amount", "0.01"), ("currency", "EUR"), ("reference", .string("BENCH-\(i)")), ("refs", []),
                    ("nonce", .string("n\(i)")), ("createdAt", .string(clock.description)),
                    ("expiresAt", .string(clock.adding(seconds: 86_400).description)),
                ]))
            var e = Envelope(notice: try! Notice(body: body))
            e.sign(with: a)
            e.sign(with: b)
            return JSON.canonical(e.json)
        }
    }

    static func genesis(keys: [SigningKey], issuer: SigningKey) -> [UInt8] {
        let members = keys.enumerated().map { i, k in
            """
            {"name": "\(k.name)", "roles": \(i == 0 ? "[\"partner\", \"validator\"]" : "[\"partner\"]"), "keys": ["\(k.verifierKey)"],
             "accounts": [{"id": "\(k.name)/eur", "currency": "EUR", "creditLimit": "1000000000.00"}]}
            """
        }
        return Array(
            """
            {"cairn": 1, "origin": "bench.cairn.example/ledger", "time": "2026-01-01T00:00:00Z",
             "currencies": {"EUR": {"minorDigits": 2}},
             "members": [\(members.joined(separator: ",")),
               {"name": "central.example", "roles": ["issuer"], "keys": ["\(issuer.verifierKey)"]}],
             "policies": {"deposit": "role(issuer)", "transfer": "all(payer, payee)", "finality": "thresh(1, role(validator))",
                          "witness": "thresh(1, role(validator))", "governance": "thresh(2, role(partner))"}}
            """.utf8)
    }
}
