import CairnCore
import Foundation
import Testing

/// A process left running (a node, a witness), with its output in files.
final class Background {
    let process = Process()
    let log: String

    init(_ args: [String], log: String, executable: String = cairnBinary) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits for `--port-file` to name the bound port.
    func port(_ file: String) throws -> Int {
        for _ in 0..<300 {
            if let text = try? String(contentsOfFile: file, encoding: .utf8), let p = Int(text), p > 0 { return p }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CairnError(.storage, "\(process.arguments ?? []) did not start:\n\(output)")
    }

    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// SIGTERM (or SIGKILL) and wait; returns the exit status.
    @discardableResult
    func stop(kill: Bool = false) -> Int32 {
        if process.isRunning { Foundation.kill(process.processIdentifier, kill ? SIGKILL : SIGTERM) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }
}

/// A free TCP port on 127.0.0.1 (bound, read, closed).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A test PKI from `cairn cert`: a server certificate for 127.0.0.1 and a client certificate per member.
struct PKI {
    let dir: String
    var ca: String { dir + "/ca/ca.pem" }

    init(_ c: Consortium, members: [String]) throws {
        dir = c.dir.path
        #expect(try cairn("cert", "ca", "--dir", dir + "/ca").status == 0)
        #expect(
            try cairn("cert", "issue", "--ca-dir", dir + "/ca", "--name", "localhost", "--ip", "127.0.0.1", "--out", dir + "/server").status
                == 0)
        for (i, m) in members.enumerated() {
            // Both kinds of client certificate: Ed25519 and P-256.
            let r = try cairn(
                "cert", "issue", "--ca-dir", dir + "/ca", "--name", m, "--out", dir + "/\(m)-tls", "--algorithm",
                i % 2 == 0 ? "p256" : "ed25519")
            #expect(r.status == 0, "\(r)")
        }
    }

    func client(_ member: String, _ url: String) -> [String] {
        ["--node", url, "--ca", ca, "--tls-cert", dir + "/\(member)-tls.pem", "--tls-key", dir + "/\(member)-tls-key.pem"]
    }

    var server: [String] { ["--tls-cert", dir + "/server.pem", "--tls-key", dir + "/server-key.pem"] }
}

/// Polls `cairn status` until the notice reaches `status`.
func waitFor(_ status: String, id: String, _ node: [String]) throws -> JSONObject {
    var last = CLIResult(status: 0, out: "", err: "")
    for _ in 0..<100 {
        last = try cairn(["status", id, "--json"] + node)
        if last.json["status"]?.stringValue == status { return last.json }
        Thread.sleep(forTimeInterval: 0.05)
    }
    throw CairnError(.storage, "notice \(id) never became \(status): \(last)")
}

@Suite("The node and its witness, over real sockets", .serialized)
struct NodeTests {
    @Test("Three partners over mTLS: submit, co-sign, commit, and a witnessed proof that verifies offline")
    func endToEnd() throws {
        let wport = freePort()
        let c = try Consortium(witnessURL: "https://127.0.0.1:\(wport)")
        let members = Consortium.partners + ["central.example", "auditor-1.example", "mallory.example"]
        let pki = try PKI(c, members: members)
        let witness = try Background(
            [
                "witness", "serve", "--key", c.key("auditor-1.example"), "--genesis", c.genesisPath, "--data", c.dir.path + "/witness",
                "--listen", "127.0.0.1:\(wport)", "--port-file", c.dir.path + "/wport",
            ] + pki.server,
            log: c.dir.path + "/witness.log")
        _ = try witness.port(c.dir.path + "/wport")
        let node = try Background(
            [
                "serve", "--data", c.data, "--listen", "127.0.0.1:0", "--port-file", c.dir.path + "/port", "--client-ca", pki.ca,
                "--witness-ca", pki.ca, "--block-interval", "100", "--max-body", "8192",
            ] + pki.server,
            log: c.dir.path + "/node.log")
        let url = "https://127.0.0.1:\(try node.port(c.dir.path + "/port"))"
        let (a, b, bankC, central) = (
            pki.client("bank-a.example", url), pki.client("bank-b.example", url), pki.client("bank-c.example", url),
            pki.client("central.example", url)
        )

        // The issuer funds bank-a through the node.
        let deposit = try c.sign(
            try c.notice("deposit", "--to", "bank-a.example/eur", "--amount", "500.00", "--currency", "EUR"), by: "central.example")
        let d = try cairn(["submit", deposit, "--json"] + central)
        #expect(d.status == 0, "\(d)")
        _ = try waitFor("committed", id: d.json["id"]!.stringValue!, central)

        // bank-a submits a transfer it signed; bank-b co-signs from its own process with its own key.
        let transfer = try c.sign(try c.transfer("bank-a.example/eur", "bank-b.example/eur", "125.00"), by: "bank-a.example")
        let s = try cairn(["submit", transfer, "--json", "--idempotency-key", "t-1"] + a)
        #expect(s.status == 0, "\(s)")
        #expect(s.json["status"]?.stringValue == "pending")
        let id = s.json["id"]!.stringValue!
        let pending = try cairn(["status", id, "--json"] + b)
        #expect(pending.json["missing"]?.stringValue == "all(sig(bank-b.example))")
        guard case .number(let headBefore)? = try cairn(["checkpoint", "--json"] + b).json["height"] else {
            Issue.record("no height in the checkpoint")
            return
        }
        let cs = try cairn(["cosign", id, "--key", c.key("bank-b.example"), "--json"] + b)
        #expect(cs.json["status"]?.stringValue == "complete", "\(cs)")
        let committed = try waitFor("committed", id: id, bankC)
        #expect(committed["height"] == .number(headBefore + 1))

        // A retry with the same Idempotency-Key gets the first answer again.
        let retry = try cairn(["submit", transfer, "--json", "--idempotency-key", "t-1"] + a)
        #expect(retry.status == 0 && retry.json["status"]?.stringValue == "pending", "\(retry)")

        // bank-c fetches the proof over HTTP; it verifies offline once the witness has cosigned.
        var verified = CLIResult(status: 1, out: "", err: "")
        let proofPath = c.dir.path + "/transfer.tlog-proof"
        for _ in 0..<100 {
            let p = try cairn(["prove", id] + bankC)
            try p.out.write(toFile: proofPath, atomically: true, encoding: .utf8)
            verified = try cairn("verify-proof", "--genesis", c.genesisPath, "--require-witnesses", proofPath, "--json")
            if verified.status == 0 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(verified.status == 0, "\(verified)")
        #expect(verified.json["cosigners"] == .array([.string("auditor-1.example")]))
        // The same bytes as the CLI on the node's own data.
        let local = try cairn("prove", "--data", c.data, id)
        #expect(local.out == (try cairn(["prove", id] + bankC)).out)

        // Refusals: each a JSON error, nothing committed.
        let sizeBefore = try cairn(["checkpoint", "--json"] + a).json["size"]
        let outsider = try cairn(["status", id, "--json"] + pki.client("mallory.example", url))
        #expect(outsider.json["error"]?.objectValue?["code"]?.stringValue == "not_a_member", "\(outsider)")
        let impostor = try cairn(
            ["submit", try c.sign(try c.transfer("bank-b.example/eur", "bank-a.example/eur", "1.00"), by: "bank-b.example"), "--json"] + a)
        #expect(impostor.json["error"]?.objectValue?["code"]?.stringValue == "submitter_mismatch", "\(impostor)")
        let big = try c.file(String(repeating: " ", count: 9000) + (try String(contentsOfFile: transfer, encoding: .utf8)))
        #expect(try cairn(["submit", big, "--json"] + a).json["error"]?.objectValue?["code"]?.stringValue == "body_too_large")
        let malformed = try curlJSON(pki, "bank-a.example", url + "/v1/notices", body: "{\"kind\": ")
        #expect(malformed.status == "400" && malformed.code == "malformed_json", "\(malformed)")
        let replay = try cairn(["submit", transfer, "--json", "--idempotency-key", "t-2"] + a)
        #expect(replay.json["error"]?.objectValue?["code"]?.stringValue == "duplicate_notice", "\(replay)")
        let witnessOnly = try cairn(["submit", transfer, "--json"] + pki.client("auditor-1.example", url))
        #expect(witnessOnly.json["error"]?.objectValue?["code"]?.stringValue == "forbidden", "\(witnessOnly)")
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try cairn(["checkpoint", "--json"] + a).json["size"] == sizeBefore)
        let health = try runProcess("/usr/bin/env", ["curl", "-s", "--cacert", pki.ca, url + "/healthz"])
        #expect(health.out.contains("\"ok\""), "\(health)")

        // The witness cosigned every checkpoint, and the node counted no witness error.
        let metrics = try runProcess(
            "/usr/bin/env",
            [
                "curl", "-s", "--cacert", pki.ca, "--cert", pki.dir + "/bank-a.example-tls.pem", "--key",
                pki.dir + "/bank-a.example-tls-key.pem", url + "/metrics",
            ])
        #expect(metrics.out.contains("cairn_notices_committed_total 2"), "\(metrics.out)")
        #expect(!metrics.out.contains("cairn_witness_errors_total"))
        #expect(metrics.out.contains("cairn_http_requests_total{route=\"/v1/notices\",method=\"POST\",status=\"202\"}"))
        #expect(node.stop() == 0)
        witness.stop()
        #expect(try c.verify().status == 0)
        let state = try String(contentsOfFile: c.dir.path + "/witness/witness-checkpoint", encoding: .utf8)
        #expect(state == (try cairn("checkpoint", "--data", c.data).out).components(separatedBy: "— auditor").first!)
    }

    @Test("A witness refuses a fork with 422, keeps its state, and the node counts the failure")
    func witnessRefusesFork() throws {
        let wport = freePort()
        let c = try Consortium(witnessURL: "http://127.0.0.1:\(wport)")
        // A second ledger from the same genesis and validator key, with a different history.
        let forkData = c.dir.path + "/fork"
        #expect(try cairn("init", "--genesis", c.genesisPath, "--data", forkData, "--key", c.key("bank-a.example")).status == 0)
        try c.fund([("bank-a.example/eur", "10.00")])
        let other = try c.sign(
            try c.notice("deposit", "--to", "bank-b.example/eur", "--amount", "7.00", "--currency", "EUR"), by: "central.example")
        #expect(try cairn("submit", "--data", forkData, other).status == 0)
        #expect(try cairn("seal", "--data", forkData).status == 0)

        let witness = try Background(
            [
                "witness", "serve", "--key", c.key("auditor-1.example"), "--genesis", c.genesisPath, "--data", c.dir.path + "/witness",
                "--listen", "127.0.0.1:\(wport)", "--port-file", c.dir.path + "/wport",
            ],
            log: c.dir.path + "/witness.log")
        let wurl = "http://127.0.0.1:\(try witness.port(c.dir.path + "/wport"))/add-checkpoint"
        // The witness first sees the fork's checkpoint.
        let first = try post(wurl, "old 0\n\n" + (try cairn("checkpoint", "--data", forkData).out))
        #expect(first.status == "200", "\(first)")
        #expect(first.body.hasPrefix("— auditor-1.example "))
        let stateFile = c.dir.path + "/witness/witness-checkpoint"
        let seen = try String(contentsOfFile: stateFile, encoding: .utf8)
        // A stale old size: 409 with the size it knows.
        let stale = try post(wurl, "old 0\n\n" + (try cairn("checkpoint", "--data", c.data).out))
        #expect(stale.status == "409" && stale.body == "1\n", "\(stale)")
        // The main ledger's checkpoint with a proof from size 1: it does not extend what the witness saw.
        let fork = try post(wurl, try cairn("prove", "--data", c.data, "--consistency", "--from", "1").out)
        #expect(fork.status == "422", "\(fork)")
        #expect(try String(contentsOfFile: stateFile, encoding: .utf8) == seen)

        // The node pushes its checkpoint, is refused, and says so in its metrics and logs.
        let node = try Background(
            ["serve", "--data", c.data, "--listen", "127.0.0.1:0", "--port-file", c.dir.path + "/port"], log: c.dir.path + "/node.log")
        let url = "http://127.0.0.1:\(try node.port(c.dir.path + "/port"))"
        var metrics = ""
        for _ in 0..<100 {
            metrics = try runProcess("/usr/bin/env", ["curl", "-s", url + "/metrics"]).out
            if metrics.contains("cairn_witness_errors_total") { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(metrics.contains("cairn_witness_errors_total{witness=\"auditor-1.example\",reason=\"422\"} 1"), "\(metrics)")
        #expect(node.stop() == 0)
        // A fork stops sealing, and says why.
        #expect(metrics.contains("cairn_sealing_halted 1"), "\(metrics)")
        #expect(node.output.contains("sealing stopped: a witness reports a fork"))
        witness.stop()
        #expect(try String(contentsOfFile: stateFile, encoding: .utf8) == seen)
    }

    @Test("SIGKILL while partners submit: every acknowledged notice survives the restart")
    func killAndRestart() throws {
        let c = try Consortium()
        let files = try c.signedDeposits(24)
        let args = ["serve", "--data", c.data, "--listen", "127.0.0.1:0", "--port-file", c.dir.path + "/port", "--block-interval", "50"]
        var node = try Background(args, log: c.dir.path + "/node.log")
        var url = "http://127.0.0.1:\(try node.port(c.dir.path + "/port"))"
        // A partner submits one notice after another, stopping at the first that is not acknowledged.
        let acks = c.dir.path + "/acks"
        let loop = try Background(
            ["-c", "for f in \(files.joined(separator: " ")); do \(cairnBinary) submit --node \(url) --json $f >> \(acks) || break; done"],
            log: c.dir.path + "/loop.log", executable: "/bin/bash")
        var acknowledged: [String] = []
        while acknowledged.count < 8 {
            acknowledged = ((try? String(contentsOfFile: acks, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                (try? JSON.parse(Array($0.utf8)))?.objectValue?["id"]?.stringValue
            }
            guard loop.process.isRunning else { break }
        }
        node.stop(kill: true)
        loop.process.waitUntilExit()
        acknowledged = try String(contentsOfFile: acks, encoding: .utf8).split(separator: "\n").compactMap {
            (try? JSON.parse(Array($0.utf8)))?.objectValue?["id"]?.stringValue
        }
        #expect(acknowledged.count >= 8 && acknowledged.count < files.count, "\(acknowledged.count) acknowledged")
        try FileManager.default.removeItem(atPath: c.dir.path + "/port")
        node = try Background(args, log: c.dir.path + "/node2.log")
        url = "http://127.0.0.1:\(try node.port(c.dir.path + "/port"))"
        for id in acknowledged { _ = try waitFor("committed", id: id, ["--node", url]) }
        #expect(node.stop() == 0)
        #expect(try c.verify().status == 0)
    }
}

@Suite("Limits over HTTP")
struct NodeLimitTests {
    @Test("A client over its rate limit gets 429 rate_limited with Retry-After; /healthz is not limited")
    func rateLimit() throws {
        let c = try Consortium()
        let node = try Background(
            ["serve", "--data", c.data, "--listen", "127.0.0.1:0", "--port-file", c.dir.path + "/port", "--rate-limit", "1"],
            log: c.dir.path + "/node.log")
        let url = "http://127.0.0.1:\(try node.port(c.dir.path + "/port"))"
        // Ten requests on one connection, faster than one a second (a burst of two is allowed).
        let r = try runProcess(
            "/usr/bin/env", ["curl", "-s", "-i"] + Array(repeating: url + "/checkpoint", count: 10) + [url + "/healthz"])
        let statuses = r.out.components(separatedBy: "\n").filter { $0.hasPrefix("HTTP/1.1 ") }
        #expect(statuses.count == 11, "\(r.out)")
        #expect(statuses.prefix(2).allSatisfy { $0.hasPrefix("HTTP/1.1 200") })
        #expect(statuses.dropFirst(2).prefix(8).contains { $0.hasPrefix("HTTP/1.1 429") })
        #expect(statuses.last?.hasPrefix("HTTP/1.1 200") == true)
        #expect(r.out.contains("\"code\":\"rate_limited\"") && r.out.lowercased().contains("retry-after: 1"))
        #expect(node.stop() == 0)
    }
}

/// POSTs a text body with curl; returns the status and body.
func post(_ url: String, _ body: String) throws -> (status: String, body: String) {
    let r = try runProcess("/usr/bin/env", ["curl", "-s", "-w", "\n%{http_code}", "--data-binary", body, url])
    var lines = r.out.components(separatedBy: "\n")
    let status = lines.removeLast()
    return (status, lines.joined(separator: "\n"))
}

/// POSTs a JSON body as `member`; returns the status and the error code.
func curlJSON(_ pki: PKI, _ member: String, _ url: String, body: String) throws -> (status: String, code: String?) {
    let r = try runProcess(
        "/usr/bin/env",
        [
            "curl", "-s", "-w", "\n%{http_code}", "--cacert", pki.ca, "--cert", pki.dir + "/\(member)-tls.pem", "--key",
            pki.dir + "/\(member)-tls-key.pem", "--data-binary", body, url,
        ])
    var lines = r.out.components(separatedBy: "\n")
    let status = lines.removeLast()
    let json = try? JSON.parse(Array(lines.joined(separator: "\n").utf8))
    return (status, json?.objectValue?["error"]?.objectValue?["code"]?.stringValue)
}

@Suite("Traces from the node to the witness and to an OTLP collector")
struct TraceTests {
    @Test("A request's traceparent is continued and exported; the witness call carries the block's trace")
    func tracesReachTheCollectorAndTheWitness() throws {
        let wport = freePort()
        let c = try Consortium(witnessURL: "http://127.0.0.1:\(wport)")
        // A stand-in OTLP/HTTP collector: it appends every body posted to /v1/traces to a file.
        let received = c.dir.path + "/otlp.bin"
        let collector = c.dir.path + "/collector.py"
        try """
        import http.server, sys
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/v1/traces":
                    open(sys.argv[2], "ab").write(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()
            def log_message(self, *a): pass
        s = http.server.HTTPServer(("127.0.0.1", 0), H)
        with open(sys.argv[1], "w") as f:
            f.write(str(s.server_port))
        s.serve_forever()
        """.write(toFile: collector, atomically: true, encoding: .utf8)
        let otlp = try Background(
            [collector, c.dir.path + "/oport", received], log: c.dir.path + "/collector.log", executable: "/usr/bin/python3")
        // SIGKILL: a child of the test runner may inherit a blocked SIGTERM, and python does not unblock it.
        defer { otlp.stop(kill: true) }
        let otlpURL = "http://127.0.0.1:\(try otlp.port(c.dir.path + "/oport"))"
        let witness = try Background(
            [
                "witness", "serve", "--key", c.key("auditor-1.example"), "--genesis", c.genesisPath, "--data", c.dir.path + "/witness",
                "--listen", "127.0.0.1:\(wport)", "--port-file", c.dir.path + "/wport",
            ], log: c.dir.path + "/witness.log")
        _ = try witness.port(c.dir.path + "/wport")
        let node = try Background(
            [
                "serve", "--data", c.data, "--listen", "127.0.0.1:0", "--port-file", c.dir.path + "/port", "--otlp-endpoint", otlpURL,
                "--block-interval", "50",
            ], log: c.dir.path + "/node.log")
        let url = "http://127.0.0.1:\(try node.port(c.dir.path + "/port"))"

        let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
        let deposit = try c.sign(
            try c.notice("deposit", "--to", "bank-a.example/eur", "--amount", "5.00", "--currency", "EUR"), by: "central.example")
        let r = try runProcess(
            "/usr/bin/env",
            [
                "curl", "-s", "-H", "traceparent: 00-\(traceID)-00f067aa0ba902b7-01", "-H", "Content-Type: application/json",
                "--data-binary", "@" + deposit, url + "/v1/notices",
            ])
        let id = try #require((try? JSON.parse(Array(r.out.utf8)))?.objectValue?["id"]?.stringValue, "\(r)")
        _ = try waitFor("committed", id: id, ["--node", url])
        // Wait for the witness to cosign the new checkpoint before stopping.
        for _ in 0..<100 where !(try cairn("checkpoint", "--node", url).out.contains("\n\n— bank-a.example ")) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        for _ in 0..<100 where witness.output.components(separatedBy: "\"add-checkpoint\"").count < 3 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(node.stop() == 0)
        witness.stop()

        // The collector got the request's span: the trace id's 16 bytes are in the OTLP protobuf.
        let exported = try #require(FileManager.default.contents(atPath: received), "nothing was exported")
        #expect(exported.range(of: Data(Hex.decode(traceID)!)) != nil, "the request's trace is not among the exported spans")
        // The node logged the block's seal and the witness logged the call, in the same trace.
        func traceIDs(_ log: String, _ message: String) -> [String] {
            log.split(separator: "\n").compactMap { line -> String? in
                guard let o = (try? JSON.parse(Array(line.utf8)))?.objectValue, o["message"]?.stringValue == message else { return nil }
                return o["trace_id"]?.stringValue
            }
        }
        let sealed = Set(traceIDs(node.output, "sealed block"))
        let witnessed = Set(traceIDs(witness.output, "add-checkpoint"))
        #expect(!sealed.isEmpty && !sealed.isDisjoint(with: witnessed), "node: \(sealed), witness: \(witnessed)")
    }
}
