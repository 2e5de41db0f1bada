import RosterCore
import RosterStore

/// A node's log read through its public routes (C2SP `tlog-tiles`): the checkpoint,
/// then the entry bundles, over one kept connection. At the node's own endpoint the
/// descriptor's TLS pin is required; a cache or mirror is read as it comes, since
/// every leaf is checked against the signed root anyway.
public struct TileSource: LogSource {
    let client: PeerClient
    public var name: String { client.peer }

    /// The largest body a log route answers with: a bundle of 256 operations of the largest size.
    static let maximumTile = LogTile.width * (SignedOperation.maximumSize + 2)

    public init(url: LogURL, descriptor: PeerDescriptor) {
        let atNode = url.endpoint.map { descriptor.endpoints.compactMap(Endpoint.init).contains($0) } ?? false
        client = PeerClient(log: url, pin: atNode ? descriptor.tlsPin : nil, maximumBody: Self.maximumTile)
    }

    public func close() { client.close() }

    public func checkpoint() async throws -> SignedNote {
        let response = try await client.request(.GET, "/log/checkpoint")
        guard response.status == 200 else {
            throw RosterError(.badAnswer, "\(name) answered \(response.status) for its checkpoint: \(String(decoding: response.body.prefix(200), as: UTF8.self))")
        }
        guard response.body.count <= SignedNote.maximumSize, let text = String(validating: response.body, as: UTF8.self),
            let note = try? SignedNote(parsing: text)
        else {
            throw RosterError(.badAnswer, "\(name) served a checkpoint that is not a signed note")
        }
        return note
    }

    public func leaves(from start: Int64, count: Int) async throws -> [[UInt8]] {
        let tile = LogTile(level: nil, index: start / Int64(LogTile.width), width: count)
        let response = try await client.request(.GET, "/log/" + tile.path)
        guard response.status == 200 else {
            throw RosterError(.badAnswer, "\(name) answered \(response.status) for /log/\(tile.path), which its checkpoint covers: it withholds its log")
        }
        do {
            return try EntryBundle.decode(response.body, count: count)
        } catch let error as RosterError {
            throw RosterError(.badAnswer, "/log/\(tile.path) is not a bundle of \(count) entries: \(error.reason)")
        }
    }
}
