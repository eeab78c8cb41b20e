import CairnCore
import HTTPTypes
import Hummingbird

/// An error as the API returns it: `{"error": {"code": ..., "message": ..., "details": ...}}` with
/// an HTTP status. Codes are the stable `CairnError` codes plus the node's own.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: JSONValue?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: JSONValue? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    /// The ledger's refusal, with the status that fits its code.
    public init(_ e: CairnError, details: JSONValue? = nil) {
        self.init(APIError.status(for: e.code), e.code.rawValue, e.message, details: details)
    }

    static func status(for code: CairnError.Code) -> HTTPResponse.Status {
        switch code {
        case .malformedJSON, .invalidField, .invalidAmount, .usage: .badRequest
        case .duplicateNotice: .conflict
        case .notFound: .notFound
        case .storage: .internalServerError
        default: .unprocessableContent
        }
    }

    public var json: JSONValue {
        var e = JSONObject([("code", .string(code)), ("message", .string(message))])
        if let details { e["details"] = details }
        return .object(JSONObject([("error", .object(e))]))
    }

    static func notAMember(_ why: String) -> APIError { APIError(.forbidden, "not_a_member", why) }
    static func forbidden(_ why: String) -> APIError { APIError(.forbidden, "forbidden", why) }
    static func badRequest(_ why: String) -> APIError { APIError(.badRequest, "bad_request", why) }
}

extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        jsonResponse(json, status: status, headers: status == .tooManyRequests ? [.retryAfter: "1"] : [:])
    }
}

/// A JSON response: the canonical form of `value` and a newline.
func jsonResponse(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
    jsonResponse(bytes: JSON.canonical(value) + [UInt8(ascii: "\n")], status: status, headers: headers)
}

/// A JSON response from bytes already encoded (a recorded reply).
func jsonResponse(bytes: [UInt8], status: HTTPResponse.Status, headers extra: HTTPFields = [:]) -> Response {
    var headers = extra
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// A text response body (C2SP formats).
func textResponse(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
    var headers = HTTPFields()
    headers[.contentType] = contentType
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
}
