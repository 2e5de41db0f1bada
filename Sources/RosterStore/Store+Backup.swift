import Foundation
import GRDB
import RosterCore

extension Store {
    /// An online copy of the database through SQLite's backup API, taken while the node
    /// serves and syncs. The pages are copied in one step, inside one read transaction:
    /// the copy is the database as of one instant, and a writer in another process never
    /// makes it start over (as a copy in several steps would). Written beside `path`,
    /// checked, then renamed into place: a backup cut short leaves nothing at `path`.
    public func backup(to path: String) async throws -> Counts {
        let destination = URL(fileURLWithPath: path)
        guard !FileManager.default.fileExists(atPath: path) else {
            throw RosterError(.invalidField, "\(path) already exists: give a new file name, or remove it first")
        }
        let folder = destination.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw RosterError(.invalidField, "no folder \(folder.path) to write \(destination.lastPathComponent) in: create it first")
        }
        let partial = folder.appendingPathComponent(".\(destination.lastPathComponent).partial-\(UUID().uuidString)")
        let pool = self.pool
        return try await CPUWork.run {
            defer { try? FileManager.default.removeItem(at: partial) }
            do {
                let copy = try DatabaseQueue(path: partial.path)
                try pool.backup(to: copy)
                let (check, counts) = try copy.read { db in
                    (try String.fetchOne(db, sql: "PRAGMA quick_check") ?? "", try Snapshot(db: db).counts())
                }
                try copy.close()
                guard check == "ok" else { throw RosterError(.storage, "the backup does not pass SQLite's quick_check (\(check)): run roster audit") }
                guard chmod(partial.path, 0o600) == 0, rename(partial.path, destination.path) == 0 else {
                    throw RosterError(.storage, "cannot move the backup to \(path): \(String(cString: strerror(errno)))")
                }
                return counts
            } catch let error as DatabaseError {
                throw RosterError(.storage, "the backup to \(path) failed: \(error.message ?? "\(error)"); free space or choose another folder")
            }
        }
    }
}
