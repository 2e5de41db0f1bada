import Hummingbird
import HummingbirdCore
import NIOCore
import NIOSSL
import RosterCore
import RosterStore

/// A request context that keeps the connection, to read the client's certificate.
struct PeerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Who a sync request comes from: the peer whose descriptor pins the key of the
/// client certificate presented. Anyone else gets 403.
struct PeerAuthentication {
    let store: Store

    /// The peer's id; marks the connection as a peer's, so that it keeps its slot.
    func authenticate(_ context: PeerRequestContext) async throws -> String {
        guard let certificate = try await context.channel.nioSSL_peerCertificate().get() else {
            throw HTTPError(.forbidden, message: "sync needs a client certificate whose key a peer descriptor pins")
        }
        let pin = try NodeTLS.pin(of: certificate)
        guard let peer = try await store.peer(pinning: pin) else {
            throw HTTPError(.forbidden, message: "no peer descriptor pins this client key (sha256 \(pin)): add the client's descriptor with roster peers add")
        }
        context.channel.markPeer()
        return peer
    }
}
