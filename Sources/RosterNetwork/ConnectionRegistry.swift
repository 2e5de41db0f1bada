import NIOConcurrencyHelpers
import NIOCore
import RosterCore

/// Every open connection of the server, by client, shared by every connection's
/// `ConnectionDeadline`. It holds two bounds: `SyncLimits.connectionsPerClient`
/// per client (an IPv4 address, or an IPv6 /64, which one machine usually holds
/// whole) and the process's total. When a bound is reached, the oldest connection
/// that has not sent a request yet (a handshake that never finished, a socket held
/// open) is closed to make room, rather than the newcomer refused: so neither a
/// stranger holding sockets from one address nor a flood from many addresses
/// keeps out a client that asks something. Only when every connection counted
/// has sent a request is the newcomer refused.
final class ConnectionRegistry: Sendable {
    private struct Connection {
        let id: ObjectIdentifier
        let channel: any Channel
        let order: UInt64
        var asked = false
    }

    private struct State {
        var byClient: [String: [Connection]] = [:]
        var total = 0
        var opened: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    let perClient: Int
    let total: Int

    init(perClient: Int = SyncLimits.connectionsPerClient, total: Int) {
        self.perClient = perClient
        self.total = total
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

    /// Counts `channel` against `client`, first closing the oldest connections that
    /// asked nothing where a bound is reached; false when there is no room.
    func open(_ channel: any Channel, client: String) -> Bool {
        let evicted: [any Channel]? = state.withLockedValue { state in
            var evicted: [any Channel] = []
            if state.byClient[client, default: []].count >= perClient {
                guard let oldest = Self.removeOldestSilent(in: &state, clients: [client]) else { return nil }
                evicted.append(oldest)
            }
            if state.total >= total {
                guard let oldest = Self.removeOldestSilent(in: &state, clients: Array(state.byClient.keys)) else { return nil }
                evicted.append(oldest)
            }
            state.opened += 1
            state.byClient[client, default: []].append(Connection(id: ObjectIdentifier(channel), channel: channel, order: state.opened))
            state.total += 1
            return evicted
        }
        guard let evicted else { return false }
        for channel in evicted { channel.close(promise: nil) }
        return true
    }

    /// Marks the connection as one that has sent a request: it is no longer the first to go.
    func asked(_ channel: any Channel, client: String) {
        state.withLockedValue { state in
            guard let index = state.byClient[client]?.firstIndex(where: { $0.id == ObjectIdentifier(channel) }) else { return }
            state.byClient[client]?[index].asked = true
        }
    }

    func close(_ channel: any Channel, client: String) {
        state.withLockedValue { state in
            guard let index = state.byClient[client]?.firstIndex(where: { $0.id == ObjectIdentifier(channel) }) else { return }
            state.byClient[client]?.remove(at: index)
            state.total -= 1
            if state.byClient[client]?.isEmpty == true { state.byClient[client] = nil }
        }
    }

    /// Connections counted now, for tests and logs.
    var count: Int { state.withLockedValue { $0.total } }

    /// Takes the oldest connection of `clients` that has asked nothing out of the
    /// count and returns it, to be closed outside the lock.
    private static func removeOldestSilent(in state: inout State, clients: [String]) -> (any Channel)? {
        var oldest: (client: String, index: Int, order: UInt64)?
        for client in clients {
            for (index, connection) in (state.byClient[client] ?? []).enumerated() where !connection.asked {
                if connection.order < oldest?.order ?? .max { oldest = (client, index, connection.order) }
            }
        }
        guard let oldest, let connection = state.byClient[oldest.client]?.remove(at: oldest.index) else { return nil }
        state.total -= 1
        if state.byClient[oldest.client]?.isEmpty == true { state.byClient[oldest.client] = nil }
        return connection.channel
    }
}
