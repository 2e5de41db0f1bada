import Foundation
import NIOSSL
import RosterCore

/// What a node accepts and sends in one exchange: bounded, so that no peer can make
/// it buffer without limit, and documented in docs/sync.md.
public enum SyncLimits {
    /// Largest request body: a push page or a pull request.
    public static let maximumBody = 8 << 20
    /// Largest signed operation, in bytes of canonical JSON: the one limit that
    /// `add`, `amend` and `import` apply when they make an operation.
    public static let maximumOperation = SignedOperation.maximumSize
    /// Operations per pull or push page, at most (a caller may ask for fewer).
    public static let maximumPage = 5000
    /// Bytes of operations per page, at most: half a body, so that a page of
    /// operations at their largest still fits any peer's body limit.
    public static let maximumPageBytes = maximumBody / 2
    /// Proofs of equivocation per page, at most: three operations each, so a page
    /// holds no more lines than a pull page.
    public static let proofsPerPage = maximumPage / 3
    /// Origins a pull request may name as the ones the caller accepts.
    public static let maximumOrigins = 10_000
    /// One round with one peer ends after this many seconds or pulled pages, whatever
    /// the peer says: a peer that always has "more" cannot hold a node in one round.
    /// A first sync of a million operations takes 200 pages; the next round resumes.
    public static let roundSeconds: Double = 600
    public static let roundPages = 1_000
    /// Peers synced at once by `serve`: one slow peer never holds up the others.
    public static let concurrentPeers = 4
    /// Seconds before an outgoing request is given up.
    public static let requestTimeout: Int64 = 30
    /// Seconds a connection that no pinned peer has used may stay silent: to finish
    /// its TLS handshake and send a request head, and after each later byte, so a
    /// stranger's connections (`check` is public) do not hold the slots for long.
    public static let firstRequestTimeout: Int64 = 10
    /// Seconds a peer's connection may stay silent, while sending a request or
    /// between requests, before the server closes it: longer than the default
    /// interval of anti-entropy rounds (30 s), so it is kept from round to round.
    public static let idleTimeout: Int64 = 75
    /// Connections from one client at once (an IPv4 address, an IPv6 /64), at most:
    /// past it the client's oldest connection that has sent no request is closed, so
    /// a stranger with one machine cannot take the slots that consumers and peers need.
    public static let connectionsPerClient = 64
    /// Seconds `serve` waits on SIGTERM for connections to finish before it closes them.
    public static let shutdownGrace: Int64 = 5
    /// Connections served at once, at most; past it the oldest connection that has
    /// sent no request is closed for the newcomer (`ConnectionRegistry`), so a flood
    /// of idle connections cannot exhaust descriptors nor keep anyone out.
    public static let maximumConnections = 2000
    /// Connections closed to make room but not closed yet, at most, above the total:
    /// the accept limit's margin. `connections()` keeps the descriptors for them.
    public static let connectionsClosing = 32
    /// No TLS 1.0 or 1.1; TLS 1.3 is preferred where both sides have it.
    public static let minimumTLSVersion = TLSVersion.tlsv12

    /// The connection cap for this process: `maximumConnections`, after raising the
    /// soft descriptor limit to the hard one, or fewer if the hard limit is lower,
    /// keeping 64 descriptors for the database and outgoing syncs, and
    /// `connectionsClosing` for sockets being closed.
    public static func connections() -> Int {
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 256 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        let available = limit.rlim_cur > 1_000_000 ? 1_000_000 : Int(limit.rlim_cur)
        return max(16, min(maximumConnections, available - 64 - connectionsClosing))
    }
}
