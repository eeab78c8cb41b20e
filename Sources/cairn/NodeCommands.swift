import ArgumentParser
import CairnCore
import CairnLedger
import CairnNode
import CairnStore
import Foundation

/// `--node URL` and its TLS files: a command that takes them talks to a node instead of `--data`.
struct NodeOptions: ParsableArguments {
    @Option(help: "A node's URL, like https://127.0.0.1:8443, instead of --data.") var node: String?
    @Option(help: "This member's client certificate (PEM), for a node that requires mTLS.") var tlsCert: String?
    @Option(help: "This member's client certificate key (PEM).") var tlsKey: String?
    @Option(help: "The CA certificate (PEM) that signed the node's certificate.") var ca: String?

    /// Runs `body` with a client for the node, then closes it.
    func with<T: Sendable>(_ body: @escaping @Sendable (NodeClient) async throws -> T) throws -> T {
        guard let node else { throw CairnError(.usage, "give --node URL") }
        let tls = node.hasPrefix("https://") ? try TLSSettings.client(cert: tlsCert, key: tlsKey, ca: ca) : nil
        let client = try NodeClient(url: node, tls: tls)
        return try runBlocking {
            do {
                let r = try await body(client)
                await client.shutdown()
                return r
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }
}

/// `--data DIR` or `--node URL`, for the commands that work both ways.
struct LedgerOrNode: ParsableArguments {
    @Option(help: "The ledger's data directory.") var data: String?
    @OptionGroup var remote: NodeOptions

    var isRemote: Bool { remote.node != nil }

    func validate() throws {
        guard (data == nil) != (remote.node == nil) else {
            throw ValidationError("give either --data DIR (a local ledger) or --node URL (a node), not both")
        }
    }

    func open() throws -> Ledger { try LedgerDirectory(data!).open() }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a node: the HTTP API for partners, automatic sealing, and checkpoints sent to the witnesses.",
        discussion: """
            Without --tls-cert the node speaks plain HTTP, for a laptop. With --tls-cert and --tls-key it \
            speaks TLS 1.3; adding --client-ca requires client certificates, each mapped to the genesis \
            member named by its SAN dNSName. SIGTERM stops it cleanly: the pending pool stays on disk.
            """)

    @Option(help: "The ledger's data directory (from `cairn init`).") var data: String
    @Option(help: "HOST:PORT to listen on (port 0 picks a free one).") var listen = "127.0.0.1:8443"
    @OptionGroup var server: ServerOptions
    @Option(help: "Require client certificates from this CA (PEM): mutual TLS.") var clientCa: String?
    @Option(help: "The CA (PEM) that signed the witnesses' certificates, for https witness URLs.") var witnessCa: String?
    @Option(help: "Seal at most this often, in milliseconds.") var blockInterval = 200
    @Option(help: "Seal as soon as this many complete notices wait.") var blockMax = 1_000
    @Option(help: "The largest request body, in bytes.") var maxBody = 1 << 20
    @Option(help: "Requests per second per client (bursts of twice that).") var rateLimit = 5_000.0
    @Option(help: "Hours an Idempotency-Key's first answer is kept for replay (1 to 8760).") var idempotencyHours = 24
    @Option(help: "Seconds a client has to finish its TLS handshake.") var handshakeTimeout = 10
    @Option(help: "Seconds a connection may wait for its next request head.") var idleTimeout = 30
    @Option(help: "Seconds a request may take from its head to its last body byte.") var requestTimeout = 30
    @Option(help: "Connections open at once from one client address.") var maxConnectionsPerClient = 64

    /// Every numeric option in range, or a usage error naming it: none may overflow what it
    /// is turned into (milliseconds, seconds, a Double of requests a second).
    func limits() throws -> ConnectionLimits {
        func check<T: Comparable>(_ name: String, _ value: T, _ range: ClosedRange<T>) throws {
            guard range.contains(value) else {
                throw CairnError(.usage, "--\(name) \(value) is out of range: give \(range.lowerBound) to \(range.upperBound)")
            }
        }
        try check("block-interval", blockInterval, 1...3_600_000)
        try check("block-max", blockMax, 1...Ledger.blockMax)
        try check("max-body", maxBody, 1_024...(64 << 20))
        try check("rate-limit", rateLimit, 1...1_000_000)
        try check("idempotency-hours", idempotencyHours, 1...8_760)
        try check("handshake-timeout", handshakeTimeout, 1...3_600)
        try check("idle-timeout", idleTimeout, 1...86_400)
        try check("request-timeout", requestTimeout, 1...86_400)
        try check("max-connections-per-client", maxConnectionsPerClient, 1...100_000)
        var limits = ConnectionLimits()
        limits.handshake = .seconds(Int64(handshakeTimeout))
        limits.idle = .seconds(Int64(idleTimeout))
        limits.request = .seconds(Int64(requestTimeout))
        limits.perClient = maxConnectionsPerClient
        return limits
    }

    func run() async throws {
        do {
            let exporter = try Observability.bootstrap(service: "cairn-node", otlpEndpoint: server.otlpEndpoint)
            let (host, port) = try parseListen(listen)
            var config = NodeConfig(dataDir: data, clock: { now() })
            (config.host, config.port) = (host, port)
            config.limits = try limits()
            config.blockInterval = Double(blockInterval) / 1000
            config.blockMax = blockMax
            config.maxBody = maxBody
            config.rateLimit = rateLimit
            config.idempotencyRetention = Int64(idempotencyHours) * 3600
            config.tls = try TLSSettings.server(cert: server.tlsCert, key: server.tlsKey, clientCA: clientCa)
            config.mutualTLS = clientCa != nil
            config.witnessTLS = try TLSSettings.client(cert: server.tlsCert, key: server.tlsKey, ca: witnessCa)
            config.services = [exporter]
            let node = try Node(config: config)
            try await node.run { port in
                server.listening(port)
                printErr("cairn: serving \(node.config.tls == nil ? "http" : "https")://\(host):\(port)")
            }
        } catch let e as CairnError {
            printErr("cairn: \(e.code): \(e.message)")
            throw ExitCode(1)
        }
    }
}

/// What `serve` and `witness serve` share: their certificate, the port file, the trace exporter.
struct ServerOptions: ParsableArguments {
    @Option(help: "This server's certificate chain (PEM); without it, plain HTTP.") var tlsCert: String?
    @Option(help: "This server's certificate key (PEM).") var tlsKey: String?
    @Option(help: "Write the bound port to this file once listening (for scripts and tests).") var portFile: String?
    @Option(help: "Export trace spans over OTLP/HTTP to this collector, like http://127.0.0.1:4318.") var otlpEndpoint: String?

    func listening(_ port: Int) {
        if let portFile { try? String(port).write(toFile: portFile, atomically: true, encoding: .utf8) }
    }
}

func parseListen(_ text: String) throws -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
        throw CairnError(.usage, "--listen \(text) is not HOST:PORT")
    }
    return (String(text[..<colon]), port)
}

struct WitnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness", abstract: "Run an auditor's witness (C2SP tlog-witness).", subcommands: [WitnessServe.self])
}

struct WitnessServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Cosign the ledger's checkpoints that are consistent with the last one seen (POST /add-checkpoint).")

    @Option(help: "The witness's cosigning (0x04) private key file.") var key: String
    @Option(help: "The ledger's genesis file.") var genesis: String
    @Option(help: "Where the last cosigned checkpoint is kept.") var data: String
    @Option(help: "HOST:PORT to listen on (port 0 picks a free one).") var listen = "127.0.0.1:8444"
    @OptionGroup var server: ServerOptions

    func run() async throws {
        do {
            let exporter = try Observability.bootstrap(service: "cairn-witness", otlpEndpoint: server.otlpEndpoint)
            let (host, port) = try parseListen(listen)
            let witness = try Witness(
                genesis: try Genesis(bytes: try readBytes(genesis)), key: try SigningKey(parsing: try readText(key)), dataDir: data,
                clock: { now() })
            try await witness.run(
                host: host, port: port, tls: try TLSSettings.server(cert: server.tlsCert, key: server.tlsKey, clientCA: nil),
                services: [exporter]
            ) { port in
                server.listening(port)
                printErr("cairn: witness \(witness.genesis.origin) at size \(witness.size) listening on \(host):\(port)")
            }
        } catch let e as CairnError {
            printErr("cairn: \(e.code): \(e.message)")
            throw ExitCode(1)
        }
    }
}

struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Make a test CA and certificates for mTLS (for trials; use your own PKI in production).",
        subcommands: [CA.self, Issue.self])

    struct CA: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a test CA: <dir>/ca.pem and <dir>/ca-key.pem.")
        @Option(help: "The directory to write to (created if missing).") var dir: String
        @Option(help: "The CA's common name.") var name = "Cairn test CA"
        @Option(help: "ed25519 or p256.") var algorithm = "ed25519"
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                guard let a = TestCA.Algorithm(rawValue: algorithm) else { throw CairnError(.usage, "--algorithm must be ed25519 or p256") }
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try TestCA.create(dir: dir, name: name, algorithm: a)
                print("wrote \(dir)/ca.pem and \(dir)/ca-key.pem")
            }
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a certificate whose SAN dNSName is a member name (clients) or a host name (servers).")
        @Option(help: "The CA directory from `cairn cert ca`.") var caDir: String
        @Option(help: "The SAN dNSName: a genesis member name, or the server's host name.") var name: String
        @Option(help: "An IPv4 address to add as a SAN (servers reached by address).") var ip: [String] = []
        @Option(help: "Writes <out>.pem and <out>-key.pem.") var out: String
        @Option(help: "ed25519 or p256.") var algorithm = "ed25519"
        @OptionGroup var output: OutputOptions

        func run() throws {
            try CairnCLI.run(output) {
                guard let a = TestCA.Algorithm(rawValue: algorithm) else { throw CairnError(.usage, "--algorithm must be ed25519 or p256") }
                try TestCA.issue(caDir: caDir, name: name, ips: ip, out: out, algorithm: a)
                print("wrote \(out).pem and \(out)-key.pem for \(name)")
            }
        }
    }
}

struct Cosign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Co-sign a pending notice: fetch it, sign it with your own key, and send only the signature.")

    @OptionGroup var target: LedgerOrNode
    @Option(help: "Your private key file.") var key: String
    @Argument(help: "The notice id.") var id: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try CairnCLI.run(output) {
            let signingKey = try SigningKey(parsing: try readText(key))
            let id = self.id
            let result: JSONObject
            if target.isRemote {
                result = try target.remote.with { client in
                    let status = try await client.request("GET", "/v1/notices/\(id)")
                    guard case .object(let o)? = status.json, let e = o["envelope"], o["status"] != .string("committed") else {
                        throw CairnError(.duplicateNotice, "notice \(id) is not pending: nothing to co-sign")
                    }
                    var envelope = try Envelope(json: e)
                    envelope.sign(with: signingKey)
                    let mine = envelope.signatures.filter { $0.signer == signingKey.name && $0.keyID == signingKey.verifierKey.keyID }
                    let body = JSON.canonical(.object(JSONObject([("signatures", .array(mine.map(\.json)))])))
                    let answer = try await client.request("POST", "/v1/notices/\(id)/signatures", body: body)
                    guard case .object(let r)? = answer.json else { throw CairnError(.storage, "the node's answer is not JSON") }
                    return r
                }
            } else {
                let ledger = try target.open()
                guard let (bytes, _) = try ledger.store.pending(id) else {
                    throw CairnError(.notFound, "notice \(id) is not pending: nothing to co-sign")
                }
                var envelope = try Envelope(leaf: bytes)
                envelope.sign(with: signingKey)
                let r = try ledger.submit(envelope, now: now())
                result = JSONObject(
                    [("id", .string(r.id)), ("status", .string(r.status.rawValue))] + (r.missing.map { [("missing", .string($0))] } ?? []))
            }
            if output.json {
                printJSON(result)
            } else {
                print("\(result["id"]?.stringValue ?? id) \(result["status"]?.stringValue ?? "")")
                if let m = result["missing"]?.stringValue { print("waiting for \(m)") }
            }
        }
    }
}
