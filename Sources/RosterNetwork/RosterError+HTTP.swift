import Foundation
import Hummingbird
import RosterCore

/// Every error a handler throws answers with a 4xx or 503 and `error.schema.json`'s
/// body: nothing a client sends becomes a 500. A peer reads the reason; the code
/// decides the status.
extension RosterError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch code {
        case .badSignature, .untrustedAgency, .notEnrolled, .forbiddenTarget, .badKey, .pinMismatch: return .forbidden
        case .unknownEntry, .noNode: return .notFound
        case .equivocation, .revokedEntry, .nodeExists: return .conflict
        case .pendingFull: return .tooManyRequests
        case .storage, .unreachable, .timeout, .peerRefused, .badAnswer, .syncIncomplete: return .serviceUnavailable
        default: return .badRequest
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = CanonicalJSON.encode(["error": ["message": .string(reason)]]) + [0x0A]
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
