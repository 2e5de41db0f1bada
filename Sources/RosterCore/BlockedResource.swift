/// One resource as a blocker format writes it: every live entry that lists the same
/// value, merged. Two agencies listing one shop give one record, not two, and a
/// resolver that refuses duplicates (Unbound's `local-zone`) loads the file.
public struct BlockedResource: Sendable {
    public let kind: Resource.Kind
    public let value: String
    /// Whether any of the entries lists the names below it too.
    public var subdomains: Bool
    /// The first entry that lists it: formats that carry a reason name its decision.
    public let entry: Entry

    public init(_ entry: Entry) {
        kind = entry.resource.kind
        value = entry.resource.value
        subdomains = entry.resource.scope == .subdomains
        self.entry = entry
    }

    /// Whether `entry` lists the same resource, so that it merges into this one.
    public func lists(_ entry: Entry) -> Bool {
        entry.resource.kind == kind && entry.resource.value == value
    }
}
