import NIOCore
import NIOEmbedded
import RosterCore
import Testing

@testable import RosterNetwork

/// The bounds a stranger meets first: per client and in total, making room by
/// closing connections that asked nothing rather than refusing newcomers.
@Suite("Connections: per-client and total bounds that make room")
struct ConnectionRegistryTests {
    static func address(_ text: String) throws -> SocketAddress {
        try SocketAddress(ipAddress: text, port: 443)
    }

    @Test("A client is an IPv4 address, or an IPv6 /64; IPv4-mapped IPv6 is the IPv4 address")
    func clients() throws {
        #expect(ConnectionRegistry.client(of: try Self.address("192.0.2.7")) == "192.0.2.7")
        #expect(ConnectionRegistry.client(of: try Self.address("::ffff:192.0.2.7")) == "192.0.2.7")
        let one = ConnectionRegistry.client(of: try Self.address("2001:db8:1:2:aaaa::1"))
        let other = ConnectionRegistry.client(of: try Self.address("2001:db8:1:2:ffff:eeee:dddd:cccc"))
        #expect(one == "2001:db8:1:2::/64" && one == other, "one /64, one client")
        #expect(ConnectionRegistry.client(of: try Self.address("2001:db8:1:3::1")) != one, "the next /64 is another client")
        #expect(ConnectionRegistry.client(of: nil) == "?")
    }

    @Test("At a client's bound its oldest silent connection is closed for the newcomer; other clients are untouched")
    func perClient() throws {
        let registry = ConnectionRegistry(perClient: 3, total: 100)
        let stranger = (0..<3).map { _ in EmbeddedChannel() }
        let neighbour = EmbeddedChannel()
        for channel in stranger { #expect(registry.open(channel, client: "192.0.2.1")) }
        #expect(registry.open(neighbour, client: "192.0.2.2"))
        registry.asked(stranger[0], client: "192.0.2.1")

        let newcomer = EmbeddedChannel()
        #expect(registry.open(newcomer, client: "192.0.2.1"))
        #expect(try closed(stranger[1]), "the oldest that asked nothing went")
        #expect(try !closed(stranger[0]), "one that asked stays")
        #expect(try !closed(stranger[2]) && !closed(neighbour))
        #expect(registry.count == 4)

        // Every connection of the client has asked: the oldest that is not a peer's goes.
        for channel in [stranger[2], newcomer] { registry.asked(channel, client: "192.0.2.1") }
        registry.peerAuthenticated(stranger[0], client: "192.0.2.1")
        #expect(registry.open(EmbeddedChannel(), client: "192.0.2.1"))
        #expect(try closed(stranger[2]) && !closed(stranger[0]), "a peer's connection is never the one closed")
        #expect(registry.count == 4)
    }

    @Test("Only when every connection counted is a peer's is the newcomer refused")
    func peersStay() throws {
        let registry = ConnectionRegistry(perClient: 2, total: 3)
        let peers = (0..<3).map { _ in EmbeddedChannel() }
        for (index, channel) in peers.enumerated() {
            #expect(registry.open(channel, client: "192.0.2.\(index % 2)"))
            registry.peerAuthenticated(channel, client: "192.0.2.\(index % 2)")
        }
        #expect(!registry.open(EmbeddedChannel(), client: "192.0.2.0"), "the client's bound, all peers")
        #expect(!registry.open(EmbeddedChannel(), client: "198.51.100.1"), "the total, all peers")
        #expect(try peers.allSatisfy { try !closed($0) })
        #expect(registry.count == 3)
    }

    @Test("At the total bound the oldest silent connection of any client is closed; a close frees its slot")
    func total() throws {
        let registry = ConnectionRegistry(perClient: 10, total: 4)
        let channels = (0..<4).map { _ in EmbeddedChannel() }
        for (index, channel) in channels.enumerated() { #expect(registry.open(channel, client: "192.0.2.\(index)")) }
        registry.asked(channels[0], client: "192.0.2.0")
        #expect(registry.open(EmbeddedChannel(), client: "198.51.100.9"))
        #expect(try closed(channels[1]) && !closed(channels[0]))
        #expect(registry.count == 4)

        registry.close(channels[2], client: "192.0.2.2")
        #expect(registry.count == 3)
        #expect(registry.open(EmbeddedChannel(), client: "198.51.100.10"))
        #expect(try !closed(channels[3]), "a free slot closes nobody")
    }

    @Test("A configured reverse proxy is not held to one client's bound, only to the total; its neighbour is")
    func proxies() throws {
        let registry = ConnectionRegistry(perClient: 2, total: 10, proxies: [try IPNetwork("192.0.2.0/28"), try IPNetwork("2001:db8:5::/48")])
        let proxied = (0..<8).map { _ in EmbeddedChannel() }
        for channel in proxied { #expect(registry.open(channel, client: "192.0.2.9")) }
        #expect(try proxied.allSatisfy { try !closed($0) }, "eight connections of the proxy stay")
        #expect(registry.isProxy(ConnectionRegistry.client(of: try Self.address("2001:db8:5:1::7"))))
        #expect(!registry.isProxy("192.0.2.16") && !registry.isProxy("2001:db8:6::/64") && !registry.isProxy("?"))
        let single = ConnectionRegistry(perClient: 2, total: 10, proxies: [try IPNetwork("2001:db8:7::5/128")])
        #expect(single.isProxy(ConnectionRegistry.client(of: try Self.address("2001:db8:7::5"))), "one IPv6 proxy address: its /64")
        let neighbour = (0..<3).map { _ in EmbeddedChannel() }
        for channel in neighbour { #expect(registry.open(channel, client: "192.0.2.16")) }
        #expect(try closed(neighbour[0]), "outside the proxy's network the client's bound holds")
        #expect(registry.open(EmbeddedChannel(), client: "198.51.100.1"))
        #expect(try closed(proxied[0]), "the total still holds, for the proxy too")
    }

    /// Whether `close` was called: an embedded channel's close future is then done.
    func closed(_ channel: EmbeddedChannel) throws -> Bool {
        var done = false
        channel.closeFuture.whenComplete { _ in done = true }
        channel.embeddedEventLoop.run()
        return done
    }
}
