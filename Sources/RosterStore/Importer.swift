import Foundation
import RosterCore

/// What an import did, for the summary line.
public struct ImportSummary: Sendable, Equatable {
    public var added = 0
    public var skipped = 0
    public var applied = 0
    public var duplicates = 0
    public var pending = 0
    public var equivocations = 0
    /// Operations of a retired or quarantined replica past its last valid seq: held nowhere, counted here.
    public var void = 0
}

/// Values for the add fields a file does not carry (`--category`, `--authority`, …),
/// and what becomes of a broad resource in it.
public struct ImportDefaults: Sendable {
    public var values: [String: String]
    public var broad: BroadEntries

    /// Without a public suffix list only networks are judged broad: the CLI always
    /// passes the system's list.
    public init(_ values: [String: String] = [:],
                broad: BroadEntries = BroadEntries(suffixes: PublicSuffixList(text: ""), allowed: false)) {
        self.values = values
        self.broad = broad
    }
}

/// Imports files into a node. A file is checked whole before anything is written,
/// and written in one transaction: a bad line or a killed process leaves the
/// database as it was.
public enum Importer {
    /// `csv`/`hosts` rows turned into adds, checked and normalised.
    public struct Row: Sendable {
        public let line: Int
        public let resource: Resource
        /// The add as signed: an entry's fields, or a mirror's (`mirror_of`).
        public let payload: RosterCore.Operation.Payload
        /// What a mirror's row states of its decision (a CSV export repeats the
        /// original's): checked against the original's when it is written, never signed.
        public let stated: [String: String]
        /// The id the exporting node gave the entry (a CSV export's `id` column): the
        /// `mirror_of` of a later row names it, and is read as the entry this import makes.
        public var listedAs: Dot?

        public init(line: Int, resource: Resource, fields: EntryFields) {
            self.line = line
            self.resource = resource
            payload = .add(resource: resource, fields: fields)
            stated = [:]
        }

        public init(line: Int, resource: Resource, mirror: MirrorFields, stated: [String: String] = [:]) {
            self.line = line
            self.resource = resource
            payload = .mirror(resource: resource, fields: mirror)
            self.stated = stated
        }

        /// The fields of an add that is no mirror's.
        public var fields: EntryFields? {
            if case .add(_, let fields) = payload { return fields }
            return nil
        }
    }

    /// Rows handed out in chunks as they are read, so that an import signs and
    /// writes while it still reads. `next` returns nil at the end and throws on a bad
    /// line; it runs on one of the bulk threads, so it must neither block (on a pipe,
    /// say: read the file first) nor call `CPUWork.map`.
    public struct RowReader {
        public let next: () throws -> [Row]?
        /// Lines in the file: the denominator of the progress display.
        public let expected: Int

        public init(expected: Int, next: @escaping () throws -> [Row]?) {
            self.expected = expected
            self.next = next
        }

        public init(_ rows: [Row]) {
            var remaining = rows[...]
            expected = rows.count
            next = {
                guard !remaining.isEmpty else { return nil }
                defer { remaining = remaining.dropFirst(4096) }
                return Array(remaining.prefix(4096))
            }
        }

        /// Reads everything: for tests and small files.
        public func all() throws -> [Row] {
            var rows: [Row] = []
            while let chunk = try next() { rows += chunk }
            return rows
        }
    }

    /// Reads CSV with a header naming add fields in any order. The header is checked now.
    public static func csvReader(_ bytes: [UInt8], defaults: ImportDefaults) throws -> RowReader {
        var reader = CSVReader(bytes)
        guard let header = try reader.nextRecord() else { throw RosterError(.badInput, "the CSV file is empty: it needs a header row") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for name in names where !CSVExport.columns.contains(name) {
            throw RosterError(.badInput, "line 1: unknown column \"\(name)\"; columns are \(CSVExport.columns.joined(separator: ","))")
        }
        guard names.contains("value") else { throw RosterError(.badInput, "line 1: the header needs a value column") }
        let expected = bytes.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
        // Without field columns every row has the defaults' fields: check them once.
        let fieldColumns = Set(CSVExport.columns).subtracting([EntryField.kind, .value, .scope].map(\.name) + [CSVExport.idColumn])
        let sharedFields = names.contains(where: fieldColumns.contains) ? nil : try? fields(defaults.values)
        return RowReader(expected: expected) {
            var records: [CSVReader.Record] = []
            while records.count < 4096, let record = try reader.nextRecord() {
                if record.fields.count == 1 && record.fields[0].isEmpty { continue }
                guard record.fields.count == names.count else {
                    throw RosterError(.badInput, "line \(record.line): \(record.fields.count) fields where the header has \(names.count)")
                }
                records.append(record)
            }
            guard !records.isEmpty else { return nil }
            // Sequential: this is the import pipeline's reading stage, beside the signing one.
            return try records.map { record in
                var values: [String: String] = [:]
                for (name, value) in zip(names, record.fields) where !value.isEmpty { values[name] = value }
                // A mirror takes its original's decision: the command line's is for the other rows.
                let isMirror = values[EntryField.mirrorOf.name] != nil
                values.merge(isMirror ? defaults.values.filter { !EntryField.decision.contains($0.key) } : defaults.values) { given, _ in given }
                return try row(values, line: record.line, sharedFields: isMirror ? nil : sharedFields, broad: defaults.broad)
            }
        }
    }

    public static func csvRows(_ bytes: [UInt8], defaults: ImportDefaults) throws -> [Row] {
        try csvReader(bytes, defaults: defaults).all()
    }

    /// Reads a hosts file: `ADDRESS NAME [NAME…]`, comments after `#`; localhost names are skipped.
    public static func hostsRows(_ bytes: [UInt8], defaults: ImportDefaults) throws -> [Row] {
        var rows: [Row] = []
        var lineNumber = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var text = String(decoding: line, as: UTF8.self)
            if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard !words.isEmpty else { continue }
            guard words.count >= 2 else {
                throw RosterError(.badInput, "line \(lineNumber): a hosts line is an address followed by names")
            }
            for name in words.dropFirst() where !["localhost", "localhost.localdomain", "broadcasthost"].contains(name) {
                var values = defaults.values
                values[EntryField.kind.name] = "domain"
                values[EntryField.value.name] = name
                rows.append(try row(values, line: lineNumber, broad: defaults.broad))
            }
        }
        return rows
    }

    /// `place` names where the row came from in an error, if not by its line.
    public static func row(_ values: [String: String], line: Int, place: String? = nil, sharedFields: EntryFields? = nil,
                           broad: BroadEntries) throws -> Row {
        do {
            guard let value = values[EntryField.value.name] else { throw RosterError(.badInput, "no value") }
            let scope = try values[EntryField.scope.name].map { text -> Resource.Scope in
                guard let scope = Resource.Scope(rawValue: text) else {
                    throw RosterError(.invalidField, "scope \"\(text)\" is not exact or subdomains")
                }
                return scope
            }
            let kind: Resource.Kind
            if let kindText = values[EntryField.kind.name] {
                guard let named = Resource.Kind(rawValue: kindText) else {
                    throw RosterError(.invalidField, "kind \"\(kindText)\" is not one of \(Resource.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                kind = named
            } else {
                kind = Resource.kind(of: value)
            }
            let resource = try Resource(kind: kind, value: value, scope: kind == .domain ? scope : nil)
            if let original = values[EntryField.mirrorOf.name] {
                var row = Row(line: line, resource: resource, mirror: try mirror(of: original, values, resource: resource, broad: broad),
                              stated: values.filter { EntryField.decision.contains($0.key) })
                row.listedAs = try listedAs(values)
                return row
            }
            var row = Row(line: line, resource: resource, fields: try broad.fields(try sharedFields ?? fields(values), for: resource))
            row.listedAs = try listedAs(values)
            return row
        } catch let error as RosterError {
            throw RosterError(error.code, "\(place ?? "line \(line)"): \(error.reason)")
        }
    }

    /// Reads a STIX 2.1 bundle (`StixListings`): what the operator gives on the
    /// command line (`defaults`) stands over what the bundle says.
    public static func stixRows(_ bytes: [UInt8], defaults: ImportDefaults) throws -> (rows: [Row], ignored: Int) {
        let bundle: JSON
        do {
            bundle = try JSONParser.parse(bytes)
        } catch let error as RosterError {
            throw RosterError(.badInput, "not a STIX 2.1 bundle: \(error.reason)")
        }
        let found = try StixListings(bundle: bundle)
        let rows = try found.listings.enumerated().map { index, listing in
            try row(listing.values.merging(defaults.values) { _, given in given }, line: index + 1, place: listing.object, broad: defaults.broad)
        }
        return (rows, found.ignored)
    }

    /// Builds an add's fields from named values, with the CLI's error messages.
    public static func fields(_ values: [String: String]) throws -> EntryFields {
        func required(_ field: EntryField) throws -> String {
            let name = field.name
            guard let value = values[name] else {
                throw RosterError(.invalidField, "\(name) is missing: give a \(name) column or --\(name)")
            }
            return value
        }
        return EntryFields(
            category: try Category(parsing: required(.category)),
            basis: try LegalBasis(authority: required(.authority), reference: required(.reference),
                                  decided: CalendarDate(required(.decided)), statute: values[EntryField.statute.name]),
            jurisdiction: try values[EntryField.jurisdiction.name].map(Text.jurisdiction),
            expires: try values[EntryField.expires.name].map(CalendarDate.init),
            evidence: try values[EntryField.evidence.name].map(Text.evidence),
            note: try values[EntryField.note.name].map { try Text.required($0, field: "note") })
    }

    /// The `id` column's value, if the file has one.
    static func listedAs(_ values: [String: String]) throws -> Dot? {
        try values[CSVExport.idColumn].map { text in
            guard let id = try? Dot(text) else {
                throw RosterError(.invalidField, "id \"\(Text.printable(text, limit: 80))\" is not an entry id like kz-mvd/astana-1:42")
            }
            return id
        }
    }

    /// A mirror's fields from named values: its note and evidence. Decision values
    /// may be stated only as the original's (see `Row.stated`).
    static func mirror(of original: String, _ values: [String: String], resource: Resource, broad: BroadEntries) throws -> MirrorFields {
        let id: Dot
        do {
            id = try Dot(original)
        } catch {
            throw RosterError(.invalidField, "mirror_of \"\(Text.printable(original, limit: 80))\" is not an entry id like kz-mvd/astana-1:42: roster list shows the ids")
        }
        return MirrorFields(original: id, evidence: try values[EntryField.evidence.name].map(Text.evidence),
                            note: try values[EntryField.note.name].map { try Text.required($0, field: "note") }, broad: try broad.flag(resource))
    }

    public static func add(_ rows: [Row], to node: Node, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> ImportSummary {
        try await add(RowReader(rows), to: node, progress: progress)
    }

    /// Signs one add per resource this agency does not list yet, all in one transaction.
    /// The chain makes signing sequential, so reading, encoding and signing are stages
    /// of a `Pipeline` that overlap the writing. A bad line found late still stops the
    /// import, and the transaction leaves nothing behind.
    public static func add(_ reader: RowReader, to node: Node, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> ImportSummary {
        let replica = node.replica
        let expected = reader.expected
        // Each box is owned by one stage, whose chunks run one after another.
        let source = Owned(reader)
        return try await node.store.write { transaction in
            let listed = Owned(try transaction.listedKeys(agency: replica.agency))
            let heads = try transaction.heads()
            try transaction.requireEnrolment(of: replica)
            let head = heads[replica.origin]
            let clock = VectorClock(heads.mapValues(\.seq)).restricted(to: replica.agency)
            let time = transaction.now
            let seq = Owned(head?.seq ?? 0)
            let renumbered = Owned(Renumbering())
            let prev = Owned(head?.hash)

            // Reading and encoding run on the bulk threads, at a lower priority than
            // signing, whose chain cannot be split: it gets a core whenever it is ready.
            let pipeline = Pipeline.source(depth: 4) {
                try await CPUWork.background { try source.value.next() }
            }.then(depth: 4) { chunk in
                try await CPUWork.background { () throws -> (operations: [PreparedOperation], rows: [Row], skipped: Int) in
                    var fresh: [Row] = []
                    var operations: [PreparedOperation] = []
                    for row in chunk {
                        guard listed.value.insert(row.resource.key).inserted else {
                            if let id = row.listedAs { renumbered.value.skipped(id) }
                            continue
                        }
                        guard seq.value < UInt64(Int64.max) - 1 else { throw Transaction.exhausted(replica.origin) }
                        seq.value += 1
                        var context = clock
                        context[replica.origin] = seq.value - 1
                        let operation = PreparedOperation(Operation(
                            origin: replica.origin, seq: seq.value, prev: nil, clock: context, time: time, alg: replica.key.suite.rawValue,
                            payload: try renumbered.value.payload(of: row)))
                        try SignedOperation.checkSize(operation.size, line: row.line)
                        if let id = row.listedAs { renumbered.value.made(id, as: Dot(origin: replica.origin, seq: seq.value)) }
                        fresh.append(row)
                        operations.append(operation)
                    }
                    return (operations, fresh, chunk.count - fresh.count)
                }
            }.then(depth: 4) { prepared in
                try await CPUWork.run { () throws -> (operations: [SignedOperation], rows: [Row], skipped: Int) in
                    let operations = try prepared.operations.map { operation in
                        let signed = try operation.sign(prev: prev.value, with: replica.key)
                        prev.value = signed.hash
                        return signed
                    }
                    return (operations, prepared.rows, prepared.skipped)
                }
            }.then(depth: 4) { signed in
                // The log's leaf hashes, beside the signing: the write then only pairs hashes.
                await CPUWork.run { () -> (operations: [SignedOperation], leafHashes: [MerkleTree.Hash], rows: [Row], skipped: Int) in
                    (signed.operations, signed.operations.map { MerkleTree.leafHash(Array($0.text.utf8)) }, signed.rows, signed.skipped)
                }
            }
            defer { pipeline.cancel() }
            var summary = ImportSummary()
            while let batch = try pipeline.waitForNext() {
                try transaction.applyOwnAdds(batch.operations, leafHashes: batch.leafHashes, rows: batch.rows)
                summary.added += batch.operations.count
                summary.skipped += batch.skipped
                progress(min(summary.added + summary.skipped, expected), expected)
            }
            progress(expected, expected)
            return summary
        }
    }

    /// Verifies and merges an `ops` export. Any line that does not parse or verify
    /// stops the import with its line number; equivocations are kept as proof, and
    /// what a retire voids is counted and left out. Lines are parsed a chunk ahead of
    /// the one being verified and written; each chunk is verified inside the
    /// transaction, with the trust the chunks before it left (their enrols verify it).
    public static func operations(_ bytes: [UInt8], into node: Node, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> ImportSummary {
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        let cursor = Owned(0)
        return try await node.store.write { transaction in
            let pipeline = Pipeline.source(depth: 2) {
                try await CPUWork.run { () throws -> (operations: [SignedOperation], lines: [Int], end: Int)? in
                    let start = cursor.value
                    guard start < lines.count else { return nil }
                    let end = min(lines.count, start + 4096)
                    cursor.value = end
                    let numbered = (start..<end).filter { !lines[$0].allSatisfy { $0 == 0x20 || $0 == 0x0D } }
                    let operations = try CPUWork.map(numbered, chunk: 512) { index in
                        do {
                            return try SignedOperation(parsing: lines[index])
                        } catch let error as RosterError {
                            throw RosterError(error.code, "line \(index + 1): \(error.reason)")
                        }
                    }
                    return (operations, numbered.map { $0 + 1 }, end)
                }
            }
            defer { pipeline.cancel() }
            var summary = ImportSummary()
            while let chunk = try pipeline.waitForNext() {
                let verified = Verifier.verify(chunk.operations, trust: try transaction.trust())
                for (result, line) in zip(verified, chunk.lines) {
                    if case .failure(let error) = result { throw RosterError(error.code, "line \(line): \(error.reason)") }
                }
                for (outcome, line) in zip(try transaction.receive(verified, from: "import"), chunk.lines) {
                    switch outcome {
                    case .applied: summary.applied += 1
                    case .duplicate: summary.duplicates += 1
                    case .pending: summary.pending += 1
                    case .rejected(let error) where error.code == .equivocation: summary.equivocations += 1
                    case .rejected(let error) where error.code == .retired: summary.void += 1
                    case .rejected(let error): throw RosterError(error.code, "line \(line): \(error.reason)")
                    }
                }
                progress(chunk.end, lines.count)
            }
            // Operations that arrived pending may have been released by later ones.
            let stillPending = try transaction.pendingOperations().count
            summary.applied += max(0, summary.pending - stillPending)
            summary.pending = stillPending
            return summary
        }
    }
}

/// A value owned by one stage of a pipeline, which alone reads and changes it, one
/// chunk after another. Unchecked Sendable without a lock: each chunk's work ends
/// (its `CPUWork.run` returns) before the stage starts the next.
final class Owned<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// The ids a CSV export gave its rows (`id`), and the entries this import made of
/// them: a mirror's `mirror_of` names its original by the export's id, which is
/// not this node's. Nil for a row this node listed already (skipped).
struct Renumbering {
    private var made: [Dot: Dot?] = [:]

    mutating func made(_ id: Dot, as entry: Dot) { made[id] = .some(entry) }
    mutating func skipped(_ id: Dot) { made[id] = .some(nil) }

    /// The row's payload, its `mirror_of` read as this import's entry when the row
    /// comes from a file with ids; as this node's own id otherwise.
    func payload(of row: Importer.Row) throws -> RosterCore.Operation.Payload {
        guard row.listedAs != nil, case .mirror(let resource, var fields) = row.payload else { return row.payload }
        switch made[fields.original] {
        case .some(.some(let entry)):
            fields.original = entry
            return .mirror(resource: resource, fields: fields)
        case .some(.none):
            throw RosterError(.invalidField, "line \(row.line): its original, \(fields.original) in this file, is listed here already, "
                + "under another id: list the mirror with roster add --mirror-of and the id roster list shows")
        case .none:
            throw RosterError(.invalidField, "line \(row.line): mirror_of \(fields.original) names no earlier row of this file (its id column): "
                + "in a file with ids, a mirror names the row of its original")
        }
    }
}
