import CairnCore
import CairnLedger
import CairnScript
import CairnStore
import Foundation

/// What a hostile member can make a node spend (issue 17): the compile time of the costliest
/// contract shapes at the source limit, and the cost of the largest requests the node allows,
/// each beside an ordinary signed transfer measured in the same run.
struct HostileBench {
    let plan: Plan
    let work: String

    /// The costliest shapes of `CompilerBoundsTests` (by its work counter), filled to `bytes`.
    static func shapes(bytes: Int) -> [(name: String, source: String)] {
        let h = "contract t\nparam a: party\nparam acc: account\nparam cur: currency\nparam d: time\nrefund acc\n"
        func fill(_ prefix: String, _ unit: (Int) -> String, _ suffix: String) -> String {
            var body = ""
            var size = prefix.utf8.count + suffix.utf8.count
            var i = 0
            while size + unit(i).utf8.count <= bytes {
                body += unit(i)
                size += unit(i).utf8.count
                i += 1
            }
            return prefix + body + suffix
        }
        let lets = (0..<240).map { "let x\($0) = 1\n" }.joined()
        return [
            ("left-deep + chain", fill(h + "if 1", { _ in " + 1" }, " == 1 { close } else { close }")),
            ("wide sums", fill(h, { _ in "pay 1" + String(repeating: " + 1", count: 60) + " in cur to acc\n" }, "close")),
            ("many names used", fill(h + lets, { "pay x\($0 % 240) in cur to acc\n" }, "close")),
            (
                "time params and chained requires",
                fill("contract t\nparam acc: account\n", { "param t\($0): time\nrequire t\($0) < t\($0 + 1)\n" }, "refund acc\nclose")
            ),
            (
                "cases after 240 lets",
                fill(h + lets + "when {\n", { "case c\($0) (y: int) by a { let z = y\nclose }\n" }, "} timeout d { close }")
            ),
            ("policy any(a, a, ...)", fill(h + "when { case go by any(a", { _ in ", a" }, ") { close } } timeout d { close }")),
        ]
    }

    func run(report: inout Report) throws {
        FileHandle.standardError.write(Data("hostile input\n".utf8))
        let samples = plan.proofSamples / 10
        func median(_ n: Int, _ body: () throws -> Void) rethrows -> Double {
            var times: [Double] = []
            for _ in 0..<max(n, 3) {
                let t = now()
                try body()
                times.append((now() - t) * 1e6)
            }
            return percentile(times, 0.5)
        }

        // Compiling: the costliest shapes at the source limit, against the shipped escrow.
        let escrow = try String(contentsOfFile: Self.repo + "/Contracts/escrow.cairn", encoding: .utf8)
        let escrowTime = median(samples) { _ = Contract.compile(escrow) }
        report.add("compile escrow.cairn (\(escrow.utf8.count) bytes)", escrowTime, "µs")
        for (name, source) in Self.shapes(bytes: Limits.sourceBytes) {
            let t = median(max(3, samples / 4)) { _ = Contract.compile(source) }
            report.add(
                "compile at \(source.utf8.count / 1024) KiB: \(name)", t / 1000, "ms", baseline: "escrow.cairn", ratio: t / escrowTime)
        }

        // Requests: parse and admit, as a node's handler and ledger thread do, against a transfer.
        let keys = try (0..<LedgerBench.partners).map {
            try SigningKey(name: "bank-\($0).example", seed: [UInt8](repeating: UInt8($0 + 1), count: 32))
        }
        let issuer = try SigningKey(name: "central.example", seed: [UInt8](repeating: 99, count: 32))
        let ledger = try LedgerDirectory(work + "/hostile").initialize(
            genesisBytes: LedgerBench.genesis(keys: keys, issuer: issuer), key: keys[0])
        let clock = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        var nonce = 0
        func body(_ kind: String, _ fields: [(String, JSONValue)], refs: [String] = []) -> Notice {
            nonce += 1
            let members: [(String, JSONValue)] =
                [("kind", .string(kind)), ("submitter", .string(keys[0].name))] + fields + [
                    ("refs", .array(refs.map { .string($0) })), ("nonce", .string("hostile-\(nonce)")),
                    ("createdAt", .string(clock.description)), ("expiresAt", .string(clock.adding(seconds: 86_400).description)),
                ]
            return try! Notice(body: .object(JSONObject(members)))
        }
        // What a request costs before anything is written: parsing, the rules and every
        // signature check (a pool write, one durable commit per group, comes after).
        func admit(_ bytes: [UInt8]) -> Bool {
            do {
                _ = try Rules.admit(try Envelope(parsing: bytes), in: ledger.state, now: clock)
                return true
            } catch {
                return false
            }
        }
        let transfer = { () -> [UInt8] in
            var e = Envelope(
                notice: body(
                    "transfer",
                    [("from", "bank-0.example/eur"), ("to", "bank-1.example/eur"), ("amount", "0.01"), ("currency", "EUR")]))
            e.sign(with: keys[0])
            e.sign(with: keys[1])
            return JSON.canonical(e.json)
        }
        let ordinary = (0..<samples).map { _ in transfer() }
        var i = 0
        let base = median(samples) {
            precondition(admit(ordinary[i % ordinary.count]), "an ordinary transfer was refused")
            i += 1
        }
        report.add("request: an ordinary transfer, 2 signatures (parse, rules, signatures)", base, "µs")

        // The most signatures and refs an envelope may carry, all junk: refused.
        let junkRefs = (0..<Notice.maxRefs).map { String(format: "%064x", $0 + 1) }
        var junk = Envelope(
            notice: body(
                "transfer", [("from", "bank-0.example/eur"), ("to", "bank-1.example/eur"), ("amount", "0.01"), ("currency", "EUR")],
                refs: junkRefs))
        for k in 0..<Envelope.maxSignatures {
            let key = keys[k % keys.count]
            var other = Envelope(notice: junk.notice)
            other.sign(with: key)
            var s = other.signatures[0]
            s.keyID ^= UInt32(k / keys.count)  // a distinct entry, by an unknown key id past the first round
            s.sig[0] ^= 0xff
            junk.add(s)
        }
        let junkBytes = JSON.canonical(junk.json)
        let junkTime = median(samples) { precondition(!admit(junkBytes), "the junk envelope was admitted") }
        report.add(
            "request: \(Envelope.maxSignatures) junk signatures, \(Notice.maxRefs) refs (\(junkBytes.count / 1024) KiB, refused)", junkTime,
            "µs", baseline: "ordinary transfer", ratio: junkTime / base)

        // The largest contract.deploy: the costliest shape that compiles at the source limit,
        // validly signed, so the node compiles it; each source differs, so none is compiled
        // already (compiles are cached by the source's hash).
        let worst = Self.shapes(bytes: Limits.sourceBytes - 32).first { $0.name == "many names used" }!.source
        var deploys: [[UInt8]] = []
        for k in 0..<max(3, samples / 4) {
            let source = worst + "\n// \(k)\n"
            var e = Envelope(
                notice: body("contract.deploy", [("language", .number(Double(Contract.languageVersion))), ("source", .string(source))]))
            e.sign(with: keys[0])
            e.sign(with: keys[1])
            deploys.append(JSON.canonical(e.json))
        }
        i = 0
        let deployTime = median(deploys.count) {
            precondition(admit(deploys[i]), "the deploy was refused")
            i += 1
        }
        report.add(
            "request: contract.deploy of \(worst.utf8.count / 1024) KiB (parse, compile, rules, signatures)", deployTime / 1000, "ms",
            baseline: "ordinary transfer", ratio: deployTime / base)
    }

    /// The checkout the harness was built in, found from the executable's path.
    static var repo: String {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        while url.path != "/", !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url.path
    }
}
