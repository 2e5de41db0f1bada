import GRDB
import RosterCore

extension DatabaseReading {
    /// The ids of the entries listed as mirrors of `original`, revoked ones
    /// included, in id order.
    func mirrors(of original: Dot) throws -> [Dot] {
        let select = try db.cachedStatement(sql: "SELECT origin, seq FROM entry WHERE mirror_of = ?")
        return try Row.fetchAll(select, arguments: [original.description]).map { row in
            guard let origin = row.text("origin"), let seq = row.seq("seq") else { throw Cell.unreadable("a mirror's id") }
            return Dot(origin: origin, seq: seq)
        }.sorted()
    }
}

extension Store {
    /// The entries listed as copies of `original`, each as it stands (lifted ones
    /// included), the first `limit` of them by id, and how many there are: what
    /// `roster mirrors` and the public page show. Throws when there is no such entry.
    public func mirrors(of original: Dot, limit: Int = .max) async throws -> (original: Entry, mirrors: [Entry], count: Int) {
        try await read { snapshot in
            guard let entry = try snapshot.entry(original) else {
                throw RosterError(.unknownEntry, "no entry \(original): roster list shows the ids")
            }
            if let source = entry.mirrorOf {
                throw RosterError(.invalidField, "entry \(original) is itself a mirror of \(source): roster mirrors \(source) lists its copies")
            }
            let ids = try snapshot.mirrors(of: original)
            return (entry, try ids.prefix(limit).compactMap { try snapshot.entry($0) }, ids.count)
        }
    }
}
