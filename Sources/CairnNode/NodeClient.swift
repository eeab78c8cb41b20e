import AsyncHTTPClient
import CairnCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// The CLI's side of the API: plain requests to a node, with the node's JSON errors turned back
/// into `CairnError`s, so that `--node` prints what local mode prints.
public final class NodeClient: Sendable {
    let base: String
    let client: HTTPClient

    public init(url: String, tls: TLSConfiguration?) throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw CairnError(.usage, "--node \(url) is not an http:// or https:// URL")
        }
        base = url.hasSuffix("/") ? String(url.dropLast()) : url
        var c = HTTPClient.Configuration(tlsConfiguration: tls)
        c.timeout = .init(connect: .seconds(3), read: .seconds(30))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: JSONValue? { try? JSON.parse(body) }
    }

    /// One request; the answer whatever its status.
    public func send(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            return Answer(status: Int(response.status.code), body: Array(buffer: try await response.body.collect(upTo: 64 << 20)))
        } catch {
            throw CairnError(.storage, "couldn't reach the node at \(base): \(error)")
        }
    }

    /// The answer's body when it succeeded, else its JSON error as a `CairnError`.
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = []) async throws -> Answer {
        let a = try await send(method, path, body: body, headers: headers)
        if a.status >= 400 { throw NodeClient.error(a) }
        return a
    }

    /// The node's `{"error": {"code", "message"}}` as a `CairnError`.
    public static func error(_ a: Answer) -> CairnError {
        if case .object(let o)? = a.json, case .object(let e)? = o["error"], case .string(let code)? = e["code"],
            case .string(let message)? = e["message"]
        {
            return CairnError(CairnError.Code(rawValue: code), message)
        }
        return CairnError(.storage, "the node answered \(a.status): \(a.text.prefix(200))")
    }

    public func shutdown() async { try? await client.shutdown() }
}

/// Runs async work from a synchronous command and waits for it.
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: Result<T, any Error>?
    Task {
        do { result = .success(try await body()) } catch { result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try result!.get()
}
