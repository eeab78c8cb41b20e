import CairnCore
import CairnLedger
import CairnStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// How `cairn serve` runs a node.
public struct NodeConfig: Sendable {
    public var dataDir: String
    public var host = "127.0.0.1"
    public var port = 8443
    public var tls: TLSConfiguration?
    public var mutualTLS = false
    /// Seconds between blocks at most; a block is sealed sooner when `blockMax` complete notices wait.
    public var blockInterval = 0.2
    public var blockMax = 1_000
    public var maxBody = 1 << 20
    /// Requests per second per client, with a burst of twice that.
    public var rateLimit = 5_000.0
    /// Seconds an `Idempotency-Key`'s first answer is kept for replay; older records are dropped.
    public var idempotencyRetention: Int64 = 86_400
    /// Timeouts, header limits and the per-client connection cap.
    public var limits = ConnectionLimits()
    /// TLS for the node's calls to witnesses.
    public var witnessTLS: TLSConfiguration?
    /// Services to run beside the server and stop with it (the tracing exporter).
    public var services: [any Service] = []
    public var clock: @Sendable () -> Timestamp

    public init(dataDir: String, clock: @escaping @Sendable () -> Timestamp) {
        self.dataDir = dataDir
        self.clock = clock
    }
}

/// The request context: who is calling and the trace it belongs to.
public struct NodeContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel
    var member: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// The node: the HTTP API of DESIGN §4 over one ledger.
public final class Node: Sendable {
    public let config: NodeConfig
    public let metrics = NodeMetrics()
    let store: SQLiteStore
    let genesis: Genesis
    let worker: LedgerWorker
    let identity: Identity
    let limiter: RateLimiter
    let witnesses: WitnessPusher
    private let services = Mutex<ServiceGroup?>(nil)

    public init(config: NodeConfig) throws {
        self.config = config
        let dir = LedgerDirectory(config.dataDir)
        store = try SQLiteStore.open(path: dir.database)
        let ledger = try Ledger(store: store)
        genesis = ledger.genesis
        identity = Identity(genesis: genesis, mutualTLS: config.mutualTLS)
        limiter = RateLimiter(perSecond: config.rateLimit)
        let metrics = self.metrics
        let halt = SealingHalt()
        let witnesses = WitnessPusher(store: store, genesis: genesis, tls: config.witnessTLS, metrics: metrics, halt: halt)
        self.witnesses = witnesses
        ledger.onDroppedPoolRows = { rows in
            metrics.droppedPoolRows.increment(by: Int64(rows.count))
            for row in rows {
                NodeLog.logger.error("dropped a pending pool row", metadata: ["id": "\(row.id)", "reason": "\(row.reason.message)"])
            }
        }
        worker = LedgerWorker(
            ledger: ledger, store: store, key: try dir.validatorKey(), interval: config.blockInterval, blockMax: config.blockMax,
            clock: config.clock, idempotencyRetention: config.idempotencyRetention, metrics: metrics, halt: halt,
            onSeal: { witnesses.enqueue($0, context: $1) })
    }

    /// Serves until SIGTERM or SIGINT, then stops cleanly: in-flight requests finish, the block in
    /// progress is completed, and the pending pool stays on disk. `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        worker.start()
        let pusher = Task { await witnesses.run() }
        witnesses.enqueue(try store.head(), context: .topLevel)
        do {
            try await serve(onListening: onListening)
        } catch {
            await shutDown(pusher)
            throw error
        }
        await shutDown(pusher)
    }

    /// Stops sealing, then gives the witnesses two seconds to take the checkpoints still queued:
    /// witnessing is best effort, and a restarted node sends its head checkpoint again.
    private func shutDown(_ pusher: Task<Void, Never>) async {
        worker.stop()
        witnesses.finish()
        let deadline = Task {
            try? await Task.sleep(for: .seconds(2))
            pusher.cancel()
        }
        await pusher.value
        deadline.cancel()
        await witnesses.shutdown()
    }

    private func serve(onListening: @escaping @Sendable (Int) async -> Void) async throws {
        let app = try httpService(
            router: makeRouter(), host: config.host, port: config.port, tls: config.tls, limits: config.limits, serverName: "cairn",
            logger: NodeLog.logger,
            onListening: onListening)
        let group = ServiceGroup(
            configuration: .init(services: [app] + config.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: NodeLog.logger))
        services.withLock { $0 = group }
        try await group.run()
    }

    /// Stops a running node as SIGTERM does.
    public func shutdown() async {
        await services.withLock { $0 }?.triggerGracefulShutdown()
    }

    func makeRouter() -> Router<NodeContext> {
        let router = Router(context: NodeContext.self)
        // A span per request, continuing the caller's W3C traceparent.
        router.add(middleware: TracingMiddleware())
        let methods = AllowedMethods()
        router.add(middleware: NodeMiddleware(node: self, methods: methods))
        router.get("/healthz") { _, _ in jsonResponse(.object(JSONObject([("status", .string("ok"))]))) }
        router.get("/metrics") { [metrics] _, _ in
            textResponse(metrics.registry.emitToString(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        router.get("/checkpoint") { [worker] request, _ in
            let size = try uintParameter(request, "size")
            return textResponse(try await worker.read { try $0.witnessedCheckpoint($0.block(forSize: size)).encoded })
        }
        router.post("/v1/notices") { request, context in try await self.submit(request, context) }
        router.get("/v1/notices/:id") { _, context in try await self.status(try context.parameters.require("id")) }
        router.post("/v1/notices/:id/signatures") { request, context in try await self.cosign(request, context) }
        router.get("/v1/notices/:id/proof") { [worker] request, context in
            let id = try context.parameters.require("id")
            let size = try uintParameter(request, "size")
            let withKeys = request.uri.queryParameters.get("withKeys") == "true"
            return textResponse(try await worker.read { try $0.proofText(id: id, size: size, withKeys: withKeys) })
        }
        router.get("/v1/proofs/consistency") { [worker] request, _ in
            guard let from = try uintParameter(request, "from") else {
                throw APIError.badRequest("a consistency proof needs ?from=N (and optionally &to=M)")
            }
            let to = try uintParameter(request, "to")
            return textResponse(try await worker.read { try $0.consistencyProof(from: from, to: to).encoded })
        }
        router.get("/v1/blocks/:height") { [store] _, context in
            let text = try context.parameters.require("height")
            guard let height = UInt64(text) else { throw APIError.badRequest("block height \"\(text)\" is not a number") }
            guard let block = try store.block(at: height) else {
                throw APIError(.notFound, "not_found", "no block at height \(height) (the head is \(try store.head().header.height))")
            }
            return jsonResponse(block.json)
        }
        router.get("/v1/blocks") { [store] request, _ in
            let from = try uintParameter(request, "from") ?? 0
            let limit = min(try uintParameter(request, "limit") ?? 100, 1_000)
            let head = try store.head().header.height
            var blocks: [JSONValue] = []
            var h = from
            while h <= head, UInt64(blocks.count) < limit, let b = try store.block(at: h) {
                blocks.append(b.json)
                h += 1
            }
            return jsonResponse(.object(JSONObject([("head", .number(Double(head))), ("blocks", .array(blocks))])))
        }
        router.get("/v1/balances") { [store, genesis] request, _ in
            let head = try store.head().header.height
            let height = try uintParameter(request, "height") ?? head
            guard height <= head else { throw APIError(.notFound, "not_found", "no block at height \(height) (the head is \(head))") }
            let rows = try store.balances(at: height).map { row -> JSONValue in
                let a = genesis.account(row.account)
                let digits = a.flatMap { genesis.minorDigits($0.currency) } ?? 0
                return .object(
                    JSONObject([
                        ("account", .string(row.account)), ("currency", .string(a?.currency ?? "")),
                        ("balance", .string(Amount.format(row.balance, minorDigits: digits))),
                    ]))
            }
            return jsonResponse(.object(JSONObject([("height", .number(Double(height))), ("balances", .array(rows))])))
        }
        router.get("/v1/instances") { [store] _, _ in
            let head = try store.head().header.height
            let rows = try store.instances(at: head).map(Node.instanceJSON)
            return jsonResponse(.object(JSONObject([("height", .number(Double(head))), ("instances", .array(rows))])))
        }
        router.get("/v1/instances/:id") { [store] _, context in
            let id = try context.parameters.require("id")
            let head = try store.head().header.height
            guard let row = try store.instances(at: head).first(where: { $0.id == id }) else {
                throw APIError(.notFound, "not_found", "no open contract instance \(id) at height \(head)")
            }
            return jsonResponse(Node.instanceJSON(row))
        }
        methods.learn(router.routes.map { ($0.path.description, $0.method.rawValue) })
        return router
    }

    static func instanceJSON(_ row: (id: String, contract: String, state: [UInt8])) -> JSONValue {
        .object(
            JSONObject([
                ("id", .string(row.id)), ("contract", .string(row.contract)), ("state", (try? JSON.parse(row.state)) ?? .null),
            ]))
    }

    // MARK: Submission

    func body(_ request: Request, _ context: NodeContext) async throws -> [UInt8] {
        do {
            return Array(buffer: try await request.body.collect(upTo: config.maxBody))
        } catch is NIOTooManyBytesError {
            throw APIError(
                .contentTooLarge, "body_too_large",
                "the request body is larger than \(config.maxBody) bytes, this node's --max-body; send one notice per request")
        }
    }

    func requireWriter(_ context: NodeContext) throws {
        if let m = context.member, !Permission.mayWrite(m, in: genesis) {
            throw APIError.forbidden("\(m) may read but not submit or co-sign: only partners, issuers and validators write")
        }
    }

    func submit(_ request: Request, _ context: NodeContext) async throws -> Response {
        try requireWriter(context)
        let bytes = try await body(request, context)
        let envelope: Envelope
        do { envelope = try Envelope(parsing: bytes) } catch { throw APIError(error) }
        if let m = context.member, envelope.notice.submitter != m {
            throw APIError(
                .forbidden, "submitter_mismatch",
                "notice \(envelope.notice.id) names \(envelope.notice.submitter) as its submitter, but the caller is \(m): a member submits only as itself"
            )
        }
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        let requestHash = Array(SHA256.hash(data: bytes))
        if let key {
            guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
                throw APIError.badRequest("Idempotency-Key must be 1 to 255 printable ASCII characters without spaces")
            }
            let since = config.clock().adding(seconds: -config.idempotencyRetention)
            if let first = try store.idempotentResponse(member: context.member ?? "", key: key, since: since) {
                guard first.request == requestHash else {
                    throw APIError(
                        .unprocessableContent, "idempotency_key_reused",
                        "Idempotency-Key \(key) was first used with a different request body")
                }
                return rawResponse(Reply(status: first.status, body: first.response), replayed: true)
            }
        }
        // The signatures are checked here, on the request's thread, against the last block's keys.
        let checked = CheckedEnvelope(envelope, in: worker.state)
        let reply = await worker.submit(
            Submission(checked: checked, member: context.member ?? "", idempotencyKey: key, requestHash: requestHash))
        return rawResponse(reply, replayed: false, location: reply.status == 202 ? "/v1/notices/\(envelope.notice.id)" : nil)
    }

    func rawResponse(_ reply: Reply, replayed: Bool, location: String? = nil) -> Response {
        var headers = HTTPFields()
        if replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        if let location { headers[.location] = location }
        // A status read back from the idempotency table is checked: swift-http-types traps outside 0...999.
        let status = (100...599).contains(reply.status) ? HTTPResponse.Status(code: reply.status) : .internalServerError
        return jsonResponse(bytes: reply.body, status: status, headers: headers)
    }

    func cosign(_ request: Request, _ context: NodeContext) async throws -> Response {
        try requireWriter(context)
        let id = try context.parameters.require("id")
        guard id.utf8.count == 64, Hex.decode(id) != nil else {
            throw APIError.badRequest("\"\(id.prefix(80))\" is not a notice id (64 lowercase hex digits)")
        }
        let bytes = try await body(request, context)
        var signatures: [NoticeSignature] = []
        do {
            let value: JSONValue
            do { value = try JSON.parse(bytes) } catch { throw CairnError(.malformedJSON, error.description) }
            var r = try FieldReader(value)
            let items = try r.array("signatures")
            guard items.count <= Envelope.maxSignatures else {
                throw CairnError(
                    .invalidField, "$.signatures: \(items.count) signatures; a request carries at most \(Envelope.maxSignatures)")
            }
            for (i, s) in items.enumerated() {
                signatures.append(try NoticeSignature(json: s, path: "$.signatures", element: i))
            }
            try r.finish()
        } catch { throw APIError(error as? CairnError ?? CairnError(.malformedJSON, "\(error)")) }
        guard !signatures.isEmpty else { throw APIError.badRequest("give at least one signature") }
        let pending = try await worker.read { ledger -> Result<Envelope, APIError> in
            if let (bytes, _) = try ledger.store.pending(id) { return .success(try Envelope(leaf: bytes)) }
            if let rec = try ledger.store.notice(id) { return .failure(LedgerWorker.duplicate(rec)) }
            return .failure(APIError(.notFound, "not_found", "notice \(id) is not known"))
        }.get()
        let envelope = Envelope(notice: pending.notice, signatures: signatures)
        let checked = CheckedEnvelope(envelope, in: worker.state)
        let reply = await worker.submit(Submission(checked: checked, member: context.member ?? "", idempotencyKey: nil, requestHash: []))
        return rawResponse(reply, replayed: false)
    }

    // MARK: Status

    func status(_ id: String) async throws -> Response {
        let now = config.clock()
        let o = try noticeStatus(store: store, state: worker.state, id: id, now: now)
        guard let o else { throw APIError(.notFound, "not_found", "notice \(id) is not known") }
        return jsonResponse(.object(o))
    }
}

/// An unsigned integer query parameter, or nil when absent; a 400 when it is not a number.
func uintParameter(_ request: Request, _ name: String) throws -> UInt64? {
    guard let text = request.uri.queryParameters.get(name) else { return nil }
    guard let v = UInt64(text) else { throw APIError.badRequest("query parameter \(name)=\(text) is not a non-negative integer") }
    return v
}

/// Every request: the caller's identity, the rate limit, JSON errors, and metrics.
struct NodeMiddleware: RouterMiddleware {
    let node: Node
    let methods: AllowedMethods

    func handle(_ request: Request, context: NodeContext, next: (Request, NodeContext) async throws -> Response) async throws -> Response {
        var context = context
        var response: Response
        do {
            if request.uri.path != "/healthz" {
                context.member = try await node.identity.member(of: context.channel)
                let client = context.member ?? context.channel.remoteAddress?.ipAddress ?? "unknown"
                guard node.limiter.allow(client) else {
                    throw APIError(
                        .tooManyRequests, "rate_limited",
                        "\(client) sent more than \(Int(node.limiter.rate)) requests a second: retry after a second (Retry-After)")
                }
                if let m = context.member { context.logger[metadataKey: "member"] = "\(m)" }
            }
            response = try await next(request, context)
        } catch let e as APIError {
            response = try e.response(from: request, context: context)
        } catch let e as CairnError {
            response = try APIError(e).response(from: request, context: context)
        } catch let e as HTTPError {
            // The router answers 404 for a known path asked with another method: that is a 405.
            let allowed = e.status == .notFound ? methods.allowed(for: request.uri.path) : []
            if !allowed.isEmpty {
                let allow = allowed.joined(separator: ", ")
                response = try APIError(
                    .methodNotAllowed, "method_not_allowed", "\(request.method) is not served at \(request.uri.path); it allows \(allow)"
                ).response(from: request, context: context)
                response.headers[.allow] = allow
            } else {
                let code =
                    switch e.status {
                    case .notFound: "not_found"
                    case .methodNotAllowed: "method_not_allowed"
                    default: "bad_request"
                    }
                response = try APIError(e.status, code, e.body ?? "\(request.method) \(request.uri.path): \(e.status.reasonPhrase)")
                    .response(from: request, context: context)
            }
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            response = try APIError(.internalServerError, "internal", "the node failed to answer: \(error)").response(
                from: request, context: context)
        }
        let route = context.endpointPath ?? "unmatched"
        node.metrics.request(route: route, method: request.method.rawValue, status: Int(response.status.code))
        if response.status.code >= 500 || (response.status.code >= 400 && response.status != .notFound) {
            context.logger.notice(
                "refused", metadata: ["route": "\(route)", "status": "\(response.status.code)", "path": "\(request.uri.path)"])
        }
        return response
    }
}

/// A Hummingbird application serving `router` over HTTP/1.1, with TLS when `tls` is given; it
/// reports its bound port to `onListening`.
/// Every connection passes a `ConnectionGuard` (one table of open connections per server).
func httpService<Context: RequestContext>(
    router: Router<Context>, host: String, port: Int, tls: TLSConfiguration?, limits: ConnectionLimits = ConnectionLimits(),
    serverName: String, logger: Logger, onListening: @escaping @Sendable (Int) async -> Void
) throws -> any Service where Context.Source == ApplicationRequestContextSource {
    let configuration = ApplicationConfiguration(address: .hostname(host, port: port), serverName: serverName)
    let onServerRunning: @Sendable (any Channel) async -> Void = { await onListening($0.localAddress?.port ?? 0) }
    let table = ConnectionTable(limit: limits.perClient)
    let isTLS = tls != nil
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [ConnectionGuard(limits: limits, table: table, tls: isTLS)],
        httpDecoderConfiguration: .init(
            maxHeaderFieldSize: limits.headerBytes, maxHeaderListSize: limits.headerBytes, maxHeaderFieldCount: limits.headerFields))
    let server: HTTPServerBuilder =
        try tls.map { try .tls(.http1(configuration: http1), tlsConfiguration: $0) } ?? .http1(configuration: http1)
    return Application(router: router, server: server, configuration: configuration, onServerRunning: onServerRunning, logger: logger)
}

/// The methods each route serves, learnt from the router once its routes are in: a request for
/// a known path with another method gets 405 and `Allow`, not the router's 404.
final class AllowedMethods: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: [String])]>([])

    func learn(_ described: [(path: String, method: String)]) {
        var table: [(segments: [Substring], methods: [String])] = []
        for (path, method) in described {
            let segments = path.split(separator: "/")
            if let i = table.firstIndex(where: { $0.segments == segments }) {
                table[i].methods.append(method)
            } else {
                table.append((segments, [method]))
            }
        }
        routes.withLock { $0 = table.map { ($0.segments, $0.methods.sorted()) } }
    }

    /// The methods served at `path` (a `:name` or `{name}` segment matches any one segment);
    /// empty for none.
    func allowed(for path: String) -> [String] {
        let parts = path.split(separator: "/")
        return routes.withLock { table in
            table.first { route in
                route.segments.count == parts.count
                    && zip(route.segments, parts).allSatisfy { $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1 }
            }?.methods ?? []
        }
    }
}
