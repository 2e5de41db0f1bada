/// Entries that would block far more than one seller: a public suffix (every name
/// registered under it) or a network wider than the minimum prefixes. An agency may
/// still list one as its decision, with the `broad` flag that the signed add
/// carries, so that every node and auditor sees it was meant.
public struct BroadEntries: Sendable {
    /// Networks shorter than these prefixes are broad: a /16 is 65,536 addresses,
    /// more than any shop's hosting; a /32 is an IPv6 provider's whole allocation.
    public static let minimumIPv4Prefix = 16
    public static let minimumIPv6Prefix = 32

    public let suffixes: PublicSuffixList
    /// The operator said `--broad`: broad resources are added, flagged.
    public let allowed: Bool

    public init(suffixes: PublicSuffixList, allowed: Bool) {
        self.suffixes = suffixes
        self.allowed = allowed
    }

    /// Why `resource` is broad, or nil when it is not.
    public func reason(_ resource: Resource) -> String? {
        switch resource.kind {
        case .domain:
            guard suffixes.isPublicSuffix(resource.value) else { return nil }
            return "\(resource.value) is a public suffix: an entry would block every name registered under it"
        case .cidr:
            guard let network = try? IPNetwork(resource.value) else { return nil }
            let minimum = network.address.bitWidth == 32 ? Self.minimumIPv4Prefix : Self.minimumIPv6Prefix
            guard network.length < minimum else { return nil }
            return "\(resource.value) is wider than /\(minimum): an entry would block networks far beyond one seller"
        case .url, .ip, .onion, .account, .wallet:
            return nil
        }
    }

    /// The fields of an add of `resource`: flagged when it is broad and the operator
    /// allowed it; a refusal saying why when it is broad and they did not.
    public func fields(_ fields: EntryFields, for resource: Resource) throws -> EntryFields {
        var flagged = fields
        flagged.broad = try flag(resource)
        return flagged
    }

    /// The broad flag of an add of `resource` (a mirror's too), or the refusal.
    public func flag(_ resource: Resource) throws -> Bool {
        guard let reason = reason(resource) else { return false }
        guard allowed else {
            throw RosterError(.broadEntry, "\(reason); give --broad if that is the decision (the add then carries the broad flag)")
        }
        return true
    }
}
