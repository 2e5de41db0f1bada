import GRDB
import RosterCore

/// What a node added after a time or a place in its log, for TAXII's `added_after`
/// and `next`: the entries its log's leaves touched since, each as it stands now,
/// in the order the leaves were added.
public struct AddedPage: Sendable {
    public struct Item: Sendable {
        public let entry: Entry
        public let history: Stix.History
        /// When this node added the leaf that brought the entry here, in ms since 1970.
        public let added: Int64
        /// That leaf: where a page cut before this item goes on from.
        public let leaf: Int64
        /// Of the entries that leaf touched (an original's change touches its mirrors
        /// too), how many came before this one: a page cut here skips them.
        public let part: Int
    }

    public var items: [Item] = []
    /// The leaf to go on from, if the log holds more, and how many of the entries
    /// it touches a page took already (an original's change touches its mirrors).
    public var next: (leaf: Int64, part: Int)?
}

extension Store {
    /// At most `limit` entries touched by the leaves from `leaf` on (a `next`, whose
    /// first `skip` entries of that leaf a page before took), or
    /// else by those added after `time` (ms since 1970), or else from the start. A
    /// page reads at most `limit` · 8 + 1024 leaves, whatever they hold: a log of key
    /// events is paged through too. A leaf that amends or revokes an original touches
    /// its mirrors too, which change with it, so that a consumer drops every copy
    /// with the original: a page may end among them, and `next` says where.
    public func added(after time: Int64?, from leaf: Int64?, skipping skip: Int = 0, limit: Int, policy: BroadPolicy,
                      agency: String) async throws -> AddedPage {
        try await read { snapshot in
            let db = snapshot.db
            let size = try db.logSize()
            var start: Int64
            if let leaf {
                start = leaf
            } else if let time {
                guard let first = try Int64.fetchOne(db, sql: "SELECT min(leaf) FROM log_added WHERE time > ?", arguments: [time]) else {
                    return AddedPage()
                }
                start = first
            } else {
                start = 0
            }
            start = max(0, start)
            var page = AddedPage()
            var seen: [Dot: Int] = [:]
            let budget = Int64(limit) * 8 + 1024
            var leaf = start
            while leaf < size && page.items.count < limit && leaf - start < budget {
                let texts = try snapshot.logEntries(from: leaf, count: Int(min(256, size - leaf, budget - (leaf - start))))
                guard !texts.isEmpty else { break }
                for text in texts {
                    guard page.items.count < limit else { break }
                    let current = leaf
                    leaf += 1
                    guard let operation = try? SignedOperation(parsing: Array(text.utf8)) else { continue }
                    let dots: [Dot]
                    switch operation.operation.payload {
                    case .add, .mirror: dots = [operation.dot]
                    case .amend(let target, _), .revoke(let target, _): dots = [target] + (try snapshot.mirrors(of: target))
                    default: continue
                    }
                    let added = try Int64.fetchOne(db, sql: "SELECT time FROM log_added WHERE leaf <= ? ORDER BY leaf DESC LIMIT 1", arguments: [current]) ?? 0
                    for (part, dot) in dots.enumerated() where current != start || part >= skip {
                        // Never more than `limit` entries read, however many mirrors a leaf touches.
                        if page.items.count >= limit && seen[dot] == nil {
                            page.next = (current, part)
                            return page
                        }
                        // An entry changed again in the page: one object, added when its newest version was.
                        if let index = seen[dot] {
                            let item = page.items[index]
                            page.items[index] = AddedPage.Item(entry: item.entry, history: item.history, added: added, leaf: item.leaf, part: item.part)
                            continue
                        }
                        guard let entry = try snapshot.entry(dot), policy.enforces(entry, agency: agency) else { continue }
                        seen[dot] = page.items.count
                        page.items.append(AddedPage.Item(entry: entry, history: try snapshot.history(of: dot), added: added, leaf: current, part: part))
                    }
                }
                if page.items.count >= limit { break }
            }
            if leaf < size { page.next = (leaf, 0) }
            return page
        }
    }
}
