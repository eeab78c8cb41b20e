import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOTLS
import Synchronization

/// The limits a node puts on each connection, so that no client holds it open for free (see
/// `ConnectionGuard`). Every value is in the README's node section.
public struct ConnectionLimits: Sendable {
    /// From accept to a finished TLS handshake.
    public var handshake: TimeAmount = .seconds(10)
    /// From accept (or the handshake) to a complete request head, and between requests.
    public var idle: TimeAmount = .seconds(30)
    /// From a request's head to its last body byte: a body sent a byte at a time is cut off here.
    public var request: TimeAmount = .seconds(30)
    /// Connections open at once from one address.
    public var perClient = 64
    /// Request headers, all together and any one field.
    public var headerBytes = 16 * 1024
    public var headerFields = 100

    public init() {}
}

/// Counts each client address's open connections, shared by every connection of one server.
final class ConnectionTable: Sendable {
    private let open = Mutex<[String: Int]>([:])
    let limit: Int

    init(limit: Int) { self.limit = limit }

    func enter(_ client: String) -> Bool {
        open.withLock { table in
            guard table[client, default: 0] < limit else { return false }
            table[client, default: 0] += 1
            return true
        }
    }

    func leave(_ client: String) {
        open.withLock { table in
            let n = table[client, default: 1] - 1
            table[client] = n > 0 ? n : nil
        }
    }
}

/// One per connection, after the HTTP codec: refuses a client past its connection cap, closes a
/// connection whose TLS handshake or request does not finish in time, and answers headers too
/// large with a JSON 431 (NIO's decoder throws `headerOverflow`, which would otherwise be an
/// empty 400).
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let table: ConnectionTable
    private let tls: Bool
    private var client: String?
    private var deadline: Scheduled<Void>?
    private var inFlight = 0

    init(limits: ConnectionLimits, table: ConnectionTable, tls: Bool) {
        self.limits = limits
        self.table = table
        self.tls = tls
    }

    private func arm(_ context: ChannelHandlerContext, _ after: TimeAmount) {
        deadline?.cancel()
        let loop = context.eventLoop.assumeIsolated()
        deadline = loop.scheduleTask(in: after) { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard table.enter(address) else {
            context.close(promise: nil)
            return
        }
        client = address
        // Without TLS the handshake deadline is the idle one: the head must come in time.
        arm(context, tls ? limits.handshake : limits.idle)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        if let client { table.leave(client) }
        client = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { arm(context, limits.idle) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            inFlight += 1
            arm(context, limits.request)
        case .end:
            // No deadline runs while the response is made; the idle one starts once it is written.
            deadline?.cancel()
            deadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            inFlight -= 1
            if inFlight == 0 { arm(context, limits.idle) }
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError, parse == .headerOverflow, inFlight == 0 else {
            context.fireErrorCaught(error)
            return
        }
        let body = ByteBuffer(
            string:
                #"{"error":{"code":"headers_too_large","message":"the request's headers are larger than this node accepts (\#(limits.headerBytes) bytes, \#(limits.headerFields) fields)"}}"#
        )
        var head = HTTPResponse(status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"))
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = String(body.readableBytes)
        head.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
