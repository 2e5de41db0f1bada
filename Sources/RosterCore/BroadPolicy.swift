/// Which broad entries (see `BroadEntries`) a node enforces in `check` and in the
/// consumer exports. Every signed entry stays in the roster, its digest and the
/// `ops` export, so nodes with different policies still agree on what was signed;
/// a node may only decline to act on other agencies' broad decisions.
public enum BroadPolicy: String, CaseIterable, Sendable {
    /// Every agency's broad entries, as signed.
    case all
    /// This node's own agency's broad entries only.
    case own

    public init(parsing text: String) throws {
        guard let policy = BroadPolicy(rawValue: text) else {
            throw RosterError(.invalidField, "--broad-entries takes all or own, not \(text)")
        }
        self = policy
    }

    /// Whether a node of `agency` acts on `entry`.
    public func enforces(_ entry: Entry, agency: String) -> Bool {
        self == .all || !entry.fields.broad || entry.agency == agency
    }
}
