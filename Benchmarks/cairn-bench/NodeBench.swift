import AsyncHTTPClient
import CairnCore
import CairnNode
import CairnStore
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle

/// HTTP submissions per second over TLS 1.3 with mutual TLS: a node on a fresh SQLite ledger
/// (FULL sync) against a bare Hummingbird route with the same TLS and the same client, in one run.
/// Every notice is pre-signed by payer and payee; each partner's client presents its own certificate.
struct NodeBench {
    let plan: Plan
    let work: String
    let baselines: Baselines
    /// Requests in flight at once, over all clients.
    static let window = 64

    func run(report: inout Report) throws {
        let keys = try (0..<LedgerBench.partners).map {
            try SigningKey(name: "bank-\($0).example", seed: [UInt8](repeating: UInt8($0 + 1), count: 32))
        }
        let issuer = try SigningKey(name: "central.example", seed: [UInt8](repeating: 99, count: 32))
        let dir = work + "/node"
        _ = try LedgerDirectory(dir + "/ledger").initialize(genesisBytes: LedgerBench.genesis(keys: keys, issuer: issuer), key: keys[0])
        let pki = dir + "/pki"
        try FileManager.default.createDirectory(atPath: pki, withIntermediateDirectories: true)
        try TestCA.create(dir: pki, name: "bench CA", algorithm: .ed25519)
        try TestCA.issue(caDir: pki, name: "localhost", ips: ["127.0.0.1"], out: pki + "/server", algorithm: .ed25519)
        for k in keys { try TestCA.issue(caDir: pki, name: k.name, ips: [], out: pki + "/" + k.name, algorithm: .ed25519) }
        let serverTLS = try TLSSettings.server(cert: pki + "/server.pem", key: pki + "/server-key.pem", clientCA: pki + "/ca.pem")
        let clients = try keys.map { k in
            HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: HTTPClient.Configuration(
                    tlsConfiguration: try TLSSettings.client(
                        cert: pki + "/\(k.name).pem", key: pki + "/\(k.name)-key.pem", ca: pki + "/ca.pem")))
        }
        // The first ledger size, at most 10^4: `--sizes 1000000` alone would otherwise post 10^6.
        let n = min(plan.sizes[0], 10_000)
        let clock = Timestamp(seconds: Int64(Date().timeIntervalSince1970))
        let bodies = LedgerBench.signedTransfers(from: 0, to: n, keys: keys, clock: clock)
        FileHandle.standardError.write(Data("http: \(n) submissions to a bare route, then to the node\n".utf8))

        let bare = try runBlocking { try await NodeBench.bare(tls: serverTLS, clients: clients, bodies: bodies) }
        var config = NodeConfig(dataDir: dir + "/ledger", clock: { Timestamp(seconds: Int64(Date().timeIntervalSince1970)) })
        (config.port, config.tls, config.mutualTLS, config.rateLimit) = (0, serverTLS, true, 1e9)
        let node = try Node(config: config)
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let (accepted, seconds) = try runBlocking {
            try await NodeBench.drive(
                ports: ports, run: { try await node.run { listening.yield($0) } }, stop: { await node.shutdown() }, clients: clients,
                bodies: bodies)
        }
        try runBlocking { for c in clients { try await c.shutdown() } }
        guard accepted == n else { throw CairnError(.storage, "the node accepted \(accepted) of \(n) submissions") }
        let rate = Double(n) / seconds
        report.add("http: bare Hummingbird route, TLS 1.3 + mTLS", bare, "requests/s")
        report.add(
            "http: node submissions, TLS 1.3 + mTLS, 2 sig, durable", rate, "notices/s", baseline: "bare route", ratio: rate / bare)
        report.add(
            "  the same against the signature limit", rate, "notices/s", baseline: "signature limit",
            ratio: rate / (baselines.verifyAllCores / 2))
    }

    /// Posts every body (each through its submitter's client), `window` at a time; returns how many
    /// got 202 and the seconds taken.
    static func load(port: Int, clients: [HTTPClient], bodies: [[UInt8]]) async throws -> (Int, Double) {
        let start = now()
        var accepted = 0
        try await withThrowingTaskGroup(of: Bool.self) { group in
            var next = 0
            func add() {
                let i = next
                next += 1
                group.addTask {
                    var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)/v1/notices")
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: bodies[i]))
                    let response = try await clients[i % clients.count].execute(request, timeout: .seconds(60))
                    _ = try await response.body.collect(upTo: 1 << 16)
                    return response.status.code == 202
                }
            }
            while next < min(window, bodies.count) { add() }
            while let ok = try await group.next() {
                if ok { accepted += 1 }
                if next < bodies.count { add() }
            }
        }
        return (accepted, now() - start)
    }

    /// Starts a server with `run`, waits for the port it reports on `ports`, drives the load at it,
    /// stops it with `stop`, and waits for it to end.
    static func drive(
        ports: AsyncStream<Int>, run: @escaping @Sendable () async throws -> Void, stop: () async -> Void, clients: [HTTPClient],
        bodies: [[UInt8]]
    ) async throws -> (Int, Double) {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CairnError(.storage, "the server did not start") }
            let result = try await load(port: port, clients: clients, bodies: bodies)
            await stop()
            try await group.waitForAll()
            return result
        }
    }

    /// The same load against a route that reads the body and answers 202 with a small JSON body.
    static func bare(tls: TLSConfiguration, clients: [HTTPClient], bodies: [[UInt8]]) async throws -> Double {
        let router = Router()
        router.post("/v1/notices") { request, _ -> Response in
            _ = try await request.body.collect(upTo: 1 << 20)
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(
                status: .accepted, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "{\"id\":\"x\",\"status\":\"complete\"}\n"))
            )
        }
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let app = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { listening.yield($0.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let (ok, seconds) = try await drive(
            ports: ports, run: { try await group.run() }, stop: { await group.triggerGracefulShutdown() }, clients: clients, bodies: bodies)
        guard ok == bodies.count else { throw CairnError(.storage, "the bare route answered \(ok) of \(bodies.count)") }
        return Double(ok) / seconds
    }
}
