import NIOConcurrencyHelpers
import NIOCore
import RosterCore

/// Every open connection of the server, by client, shared by every connection's
/// `ConnectionDeadline`. It holds two bounds: `SyncLimits.connectionsPerClient`
/// per client (an IPv4 address, or an IPv6 /64, which one machine usually holds
/// whole) and the process's total. When a bound is reached, a connection is closed
/// to make room rather than the newcomer refused: the oldest that has sent no
/// request yet (a handshake that never finished, a socket held open), else the
/// oldest stranger's (no pinned peer used it), whose client may ask again. So
/// neither sockets held from one address nor a flood from many keeps out a client
/// that asks something, and a peer's connection is never the one closed. Only
/// when every connection counted is a peer's is the newcomer refused.
///
/// A reverse proxy named with `serve --proxy` carries many clients on its
/// connections: they count against the total only, not against one client's bound.
/// Nothing else is taken from a proxy: no `X-Forwarded-For` header and no PROXY
/// protocol line is read, from it or anyone, since nothing the node answers depends
/// on who the client is.
///
/// Each choice walks the connections counted (at most the total, 2,000): a flood of
/// accepts costs that walk per accept, under one lock, which is cheap next to the
/// TLS handshake the flood also asks for. Hummingbird's accept limit stays above the
/// total as a backstop, so that closing sockets that are still being closed never
/// lets the descriptors run out.
final class ConnectionRegistry: Sendable {
    private struct Connection {
        let channel: any Channel
        let order: UInt64
        var asked = false
        var isPeer = false
    }

    private struct State {
        var byClient: [String: [Connection]] = [:]
        var total = 0
        var opened: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    let perClient: Int
    let total: Int
    let proxies: [IPNetwork]

    init(perClient: Int = SyncLimits.connectionsPerClient, total: Int, proxies: [IPNetwork] = []) {
        self.perClient = perClient
        self.total = total
        self.proxies = proxies
    }

    /// Whether `client` (as `client(of:)` names it: an IPv4 address, or an IPv6 /64)
    /// is a configured reverse proxy. An IPv6 client is its /64, so a proxy named by
    /// an IPv6 address or a network narrower than /64 matches the /64 that holds it.
    func isProxy(_ client: String) -> Bool {
        guard !proxies.isEmpty, let address = try? IPAddress(String(client.prefix { $0 != "/" })) else { return false }
        return proxies.contains { proxy in
            if case .v6 = proxy.address, proxy.length > 64 { return proxy.address.masked(to: 64) == address }
            return proxy.contains(address)
        }
    }

    /// The client a connection counts against: the IPv4 address (also when written
    /// as IPv4-mapped IPv6), or the IPv6 address's /64.
    static func client(of address: SocketAddress?) -> String {
        guard let text = address?.ipAddress, let parsed = try? IPAddress(text) else { return "?" }
        switch parsed {
        case .v4: return parsed.description
        case .v6(let value) where value >> 32 == 0xFFFF: return IPAddress.v4(UInt32(truncatingIfNeeded: value)).description
        case .v6: return parsed.masked(to: 64).description + "/64"
        }
    }

    /// Counts `channel` against `client`, first closing a connection where a bound
    /// is reached (see the type's comment); false when there is no room.
    func open(_ channel: any Channel, client: String) -> Bool {
        let made: (room: Bool, evicted: (any Channel)?) = state.withLockedValue { state in
            var evicted: (any Channel)?
            // Making room for the client also makes room in the total.
            if state.byClient[client]?.count ?? 0 >= perClient && !isProxy(client) {
                guard let victim = Self.evict(from: &state, only: client) else { return (false, nil) }
                evicted = victim
            } else if state.total >= total {
                guard let victim = Self.evict(from: &state, only: nil) else { return (false, nil) }
                evicted = victim
            }
            state.opened += 1
            state.byClient[client, default: []].append(Connection(channel: channel, order: state.opened))
            state.total += 1
            return (true, evicted)
        }
        made.evicted?.close(promise: nil)
        return made.room
    }

    /// Marks the connection as one that has sent a request: closed only after those that asked nothing.
    func asked(_ channel: any Channel, client: String) {
        update(channel, client: client) { $0.asked = true }
    }

    /// Marks the connection as a pinned peer's: never closed to make room.
    func peerAuthenticated(_ channel: any Channel, client: String) {
        update(channel, client: client) { $0.isPeer = true }
    }

    func close(_ channel: any Channel, client: String) {
        state.withLockedValue { state in
            guard let index = state.byClient[client]?.firstIndex(where: { $0.channel === channel }) else { return }
            Self.remove(client, at: index, from: &state)
        }
    }

    /// Connections counted now, for tests and logs.
    var count: Int { state.withLockedValue { $0.total } }

    private func update(_ channel: any Channel, client: String, _ change: (inout Connection) -> Void) {
        state.withLockedValue { state in
            guard let index = state.byClient[client]?.firstIndex(where: { $0.channel === channel }) else { return }
            change(&state.byClient[client, default: []][index])
        }
    }

    /// Takes the connection to close out of the count (of `only` that client, or of
    /// any) and returns it, to be closed outside the lock: the oldest that asked
    /// nothing, else the oldest that is not a peer's.
    private static func evict(from state: inout State, only: String?) -> (any Channel)? {
        var silent: (client: String, index: Int, order: UInt64)?
        var stranger: (client: String, index: Int, order: UInt64)?
        func consider(_ client: String, _ connections: [Connection]) {
            for (index, connection) in connections.enumerated() where !connection.isPeer {
                if !connection.asked, connection.order < silent?.order ?? .max { silent = (client, index, connection.order) }
                if connection.order < stranger?.order ?? .max { stranger = (client, index, connection.order) }
            }
        }
        if let only {
            consider(only, state.byClient[only] ?? [])
        } else {
            for (client, connections) in state.byClient { consider(client, connections) }
        }
        guard let chosen = silent ?? stranger else { return nil }
        return remove(chosen.client, at: chosen.index, from: &state).channel
    }

    @discardableResult
    private static func remove(_ client: String, at index: Int, from state: inout State) -> Connection {
        let removed = state.byClient[client, default: []].remove(at: index)
        state.total -= 1
        if state.byClient[client]?.isEmpty == true { state.byClient[client] = nil }
        return removed
    }
}
