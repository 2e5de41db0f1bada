import Hummingbird
import NIOCore
import RosterCore

extension Response {
    /// A JSON answer in canonical form, one line.
    static func json(_ value: JSON, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer(bytes: CanonicalJSON.encode(value))
        buffer.writeInteger(UInt8(0x0A))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    /// Lines of NDJSON, each a stored operation's canonical bytes.
    static func lines(_ lines: [String], headers: HTTPFields = [:]) -> Response {
        var buffer = ByteBuffer()
        for text in lines {
            buffer.writeString(text)
            buffer.writeInteger(UInt8(0x0A))
        }
        var headers = headers
        headers[.contentType] = "application/x-ndjson"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }
}
