/// What a node accepts and sends in one exchange: bounded, so that no peer can make
/// it buffer without limit, and documented in docs/sync.md.
public enum SyncLimits {
    /// Largest request body: a push page or a pull request.
    public static let maximumBody = 8 << 20
    /// Largest signed operation, in bytes of canonical JSON.
    public static let maximumOperation = 64 << 10
    /// Operations per pull page, at most (a caller may ask for fewer).
    public static let maximumPage = 5000
    /// Seconds before an outgoing request is given up.
    public static let requestTimeout: Int64 = 30
}
