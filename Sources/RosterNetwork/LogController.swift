import Hummingbird
import NIOCore
import RosterCore
import RosterStore

/// The node's log for anyone (no client certificate): its checkpoint and tiles as
/// C2SP `tlog-tiles` serves them under `/log/`, and proofs for thin clients under
/// `/v1/log/proof/`. Full tiles never change, and say so, so that any HTTP cache
/// can mirror a node's log without being trusted.
struct LogController {
    let node: Node

    func addRoutes(to router: Router<PeerRequestContext>) {
        router.get("/log/checkpoint") { _, _ in try await checkpoint() }
        router.get("/log/tile/**") { request, _ in try await tile(request) }
        router.get("/v1/log/proof/inclusion") { request, _ in try await inclusion(request) }
        router.get("/v1/log/proof/consistency") { request, _ in try await consistency(request) }
        router.post("/log/witness/add-checkpoint") { request, _ in try await addCheckpoint(request) }
    }

    /// C2SP `tlog-witness`: this node cosigns a peer's checkpoint that extends the last
    /// one it cosigned of that log. Public, as the protocol has it: the checkpoint's
    /// signature is the request's authentication.
    func addCheckpoint(_ request: Request) async throws -> Response {
        let limit = SignedNote.maximumSize + 64 * 46
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            throw HTTPError(.contentTooLarge, message: "an add-checkpoint body is at most \(limit) bytes: an old size, 63 proof lines and a checkpoint")
        }
        let parsed: Witness.Request
        do {
            parsed = try Witness.Request(parsing: Array(buffer: body))
        } catch let error as RosterError {
            throw HTTPError(.badRequest, message: error.reason)
        }
        switch try await node.witness(parsed) {
        case .cosigned(let signature):
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: signature.line)))
        case .unknownLog:
            throw HTTPError(.notFound, message: "this node witnesses the logs of its trusted agencies' replicas only, not \(parsed.checkpoint.origin)")
        case .refused(.forbidden):
            throw HTTPError(.forbidden, message: "the checkpoint is not signed by the key \(parsed.checkpoint.origin)'s agency enrolled, "
                + "or that node is proven to have shown two histories (roster status)")
        case .refused(.inconsistent):
            throw HTTPError(.unprocessableContent, message: "the consistency proof does not lead from the checkpoint last cosigned to this one")
        case .refused(.conflict(let size)):
            return Response(status: .conflict, headers: [.contentType: "text/x.tlog.size"], body: .init(byteBuffer: ByteBuffer(string: "\(size)\n")))
        case .refused(.cosign):
            throw HTTPError(.internalServerError)
        }
    }

    /// The latest checkpoint the node signed (`CheckpointSigner` signs one on an
    /// interval), or one signed now if it never signed one.
    func checkpoint() async throws -> Response {
        let note: SignedNote
        if let latest = try await node.latestCheckpoint() { note = latest } else { note = try await node.checkpoint() }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(string: note.serialized)))
    }

    func tile(_ request: Request) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/log/tile/"), let tile = LogTile(path: path.dropFirst("/log/tile/".count)) else {
            throw HTTPError(.notFound, message: "no such tile: tiles are /log/tile/L/N[.p/W] and /log/tile/entries/N[.p/W]")
        }
        guard let bytes = try await node.store.tile(tile) else {
            throw HTTPError(.notFound, message: "this log does not hold \(tile.path) yet")
        }
        // A partial tile of a width never changes either, but is soon replaced by a wider one.
        let cache = tile.isFull ? "public, max-age=31536000, immutable" : "public, max-age=60"
        return Response(status: .ok, headers: [.contentType: "application/octet-stream", .cacheControl: cache],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func inclusion(_ request: Request) async throws -> Response {
        let (index, size) = (try number(request, "index", from: 0), try number(request, "size", from: 1))
        let proof = try await node.store.inclusionProof(index: index, size: size)
        return .json(["index": .integer(index), "size": .integer(size), "proof": .array(proof.map { .string(Base64.encode($0)) })])
    }

    func consistency(_ request: Request) async throws -> Response {
        let (first, second) = (try number(request, "first", from: 1), try number(request, "second", from: 1))
        let proof = try await node.store.consistencyProof(first: first, second: second)
        return .json(["first": .integer(first), "second": .integer(second), "proof": .array(proof.map { .string(Base64.encode($0)) })])
    }

    private func number(_ request: Request, _ name: String, from lowest: Int64) throws -> Int64 {
        guard let text = request.uri.queryParameters.get(name), let value = Int64(text), value >= lowest, String(value) == text else {
            throw RosterError(.invalidField, "give ?\(name)= as a whole number from \(lowest)")
        }
        return value
    }
}
