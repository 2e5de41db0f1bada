import HTTPTypes
import Hummingbird
import NIOCore
import RosterCore
import RosterStore
import Synchronization

/// `GET /v1/export/FORMAT`: the roster in the formats resolvers and platforms load
/// (`ExportFormat.feeds`), for anyone, streamed from one snapshot. A consumer that
/// sends back the `ETag` it holds is answered 304 while nothing it shows changed.
struct ExportController {
    let node: Node
    let policy: BroadPolicy
    let clock: WallClock
    /// Connections, to tell one client from another (and a proxy from a client).
    let registry: ConnectionRegistry
    /// Feeds streaming at once, 2 in all and 1 a client (but a proxy): each holds
    /// one of the database's readers.
    let running = Running(limit: 2)
    /// Each feed's latest version, as a file.
    let cache: FeedCache
    /// Feeds sent from the cache at once.
    let transfers = Running(limit: 16)

    /// Runs `release` once, when the last holder lets it go.
    final class Slot: Sendable {
        let release: @Sendable () -> Void
        init(_ release: @escaping @Sendable () -> Void) { self.release = release }
        deinit { release() }
    }

    func addRoutes(to router: Router<PeerRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/v1/export/:format", method: method) { request, context in
                try await export(request, format: context.parameters.get("format") ?? "", client: ConnectionRegistry.client(of: context.channel.remoteAddress))
            }
        }
    }

    func export(_ request: Request, format name: String, client: String) async throws -> Response {
        guard let format = ExportFormat(rawValue: name), ExportFormat.feeds.contains(format) else {
            throw HTTPError(.notFound, message: "no feed \"\(name.prefix(32))\": feeds are \(ExportFormat.feeds.map(\.rawValue).joined(separator: ", "))")
        }
        let feed = Feed(format: format, origin: node.identity.origin, agency: node.identity.agency, policy: policy, now: clock.now())
        // The tag comes from a clock read before the snapshot the body is read from, which
        // is never older: a body newer than its tag costs one more transfer, never a stale 304.
        let tag = feed.tag(clock: try await node.store.clock())
        var headers: HTTPFields = [.eTag: tag, .cacheControl: "no-cache"]
        if let held = request.headers[.ifNoneMatch], Self.matches(held, tag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = format.mediaType
        // HEAD: the headers alone, with the length when the version is in the cache; no stream starts.
        if request.method == .head {
            guard let (handle, size) = cache.open(format, tag: tag) else {
                // Not yet known: no length rather than a wrong one.
                return Response(status: .ok, headers: headers, body: ResponseBody { writer in try await writer.finish(nil) })
            }
            try? handle.close()
            headers[.contentLength] = String(size)
            return Response(status: .ok, headers: headers)
        }
        // A version some consumer already fetched whole is read from its file, at disk speed.
        if let (handle, size) = cache.open(format, tag: tag) {
            // A transfer holds up to some 20 MB of buffers while the kernel takes its first megabytes: 16 at once at most.
            guard transfers.enter(client, alone: false) else {
                try? handle.close()
                throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "10"],
                                message: "\(transfers.limit) feeds are being sent: retry in 10 s, or take the zone from a secondary (README, fan-out)")
            }
            // Released with the body, whether it ran or the connection went first.
            let slot = Slot { transfers.leave(client) }
            return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: size) { writer in
                defer { try? handle.close() }
                _ = slot
                // Pieces of 64 KiB: the connection takes one when it has room, so a slow consumer holds little memory.
                while let data = try handle.read(upToCount: 1 << 16), !data.isEmpty {
                    try await writer.write(ByteBuffer(bytes: data))
                }
                try await writer.finish(nil)
            })
        }
        guard running.enter(client, alone: !registry.isProxy(client)) else {
            throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "10"],
                            message: "\(running.limit) feeds are streaming, or one to this client: retry in 10 s")
        }
        let stream = FeedStream()
        let store = node.store
        // The first consumer of a version leaves it in the cache for the next.
        let copy = cache.writer(format)
        Task {
            var failure: (any Error)?
            let read = Mutex<VectorClock?>(nil)
            do {
                try await store.export(feed, started: { clock in read.withLock { $0 = clock } }) { piece in
                    try stream.send(piece)
                    copy?.write(piece)
                }
                if let clock = read.withLock({ $0 }) { copy?.finish(tag: feed.tag(clock: clock)) } else { copy?.abandon() }
            } catch {
                failure = error
                copy?.abandon()
            }
            // The slot is free before the consumer can have the last byte: its next fetch finds it so.
            running.leave(client)
            stream.finish(failure)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                while let text = try await stream.next() { try await writer.write(ByteBuffer(string: text)) }
                try await writer.finish(nil)
            } catch {
                stream.cancel()
                throw error
            }
        })
    }

    /// RFC 9110 `If-None-Match`: `*`, or a list of tags compared weakly.
    static func matches(_ field: String, _ tag: String) -> Bool {
        let wanted = tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
        return field.split(separator: ",").contains { candidate in
            var candidate = candidate.trimmingCharacters(in: .whitespaces)
            if candidate == "*" { return true }
            if candidate.hasPrefix("W/") { candidate.removeFirst(2) }
            return candidate == wanted
        }
    }

    /// Feeds streaming, by client, with a bound in all and one a client.
    final class Running: Sendable {
        let limit: Int
        private let clients = Mutex<[String: Int]>([:])

        init(limit: Int) { self.limit = limit }

        /// Counts a feed for `client`, unless `limit` stream, or `alone` and one streams to it.
        func enter(_ client: String, alone: Bool) -> Bool {
            clients.withLock { clients in
                guard clients.values.reduce(0, +) < limit, !alone || clients[client, default: 0] == 0 else { return false }
                clients[client, default: 0] += 1
                return true
            }
        }

        func leave(_ client: String) {
            clients.withLock { clients in
                clients[client, default: 1] -= 1
                if clients[client] == 0 { clients[client] = nil }
            }
        }
    }
}
