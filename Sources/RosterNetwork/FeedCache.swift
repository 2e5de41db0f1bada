import Crypto
import Foundation
import RosterCore
import RosterStore
import Synchronization

/// The latest version of each feed in a file (`DATA/feeds/FORMAT-HASH`), written by
/// `FeedWarmer` (the RPZ) or as the first consumer of a version streams it from the
/// database: later consumers of the same version get the file, with a
/// `Content-Length`, at disk speed. Unbound loads a million-name RPZ as fast from such
/// an answer as from a local file, and about twice as slowly from a body it must wait
/// for the database to produce.
public final class FeedCache: Sendable {
    let folder: URL
    /// Formats being written now: one writer a format.
    private let writing = Mutex<Set<String>>([])

    public init(folder: URL) {
        self.folder = folder
    }

    /// The node's cache, `DATA/feeds/`.
    public convenience init(node: Node) {
        self.init(folder: node.folder.appendingPathComponent("feeds"))
    }

    /// A file's name says its format and, hashed, its tag (which carries the clock, the day and the policy).
    func name(_ format: ExportFormat, tag: String) -> String {
        format.rawValue + "-" + Hex.encode(Array(SHA256.hash(data: Array(tag.utf8)))).prefix(32)
    }

    /// The version's file, opened, and its size; nil while no consumer has fetched the version whole.
    func open(_ format: ExportFormat, tag: String) -> (FileHandle, Int)? {
        let path = folder.appendingPathComponent(name(format, tag: tag)).path
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        // The file may be replaced by a newer version after this: an open handle still reads it whole.
        guard let size = try? handle.seekToEnd(), (try? handle.seek(toOffset: 0)) != nil else {
            try? handle.close()
            return nil
        }
        return (handle, Int(size))
    }

    /// A writer for a version no one else is writing; nil if one is (or the folder cannot be made).
    func writer(_ format: ExportFormat) -> Writer? {
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let key = format.rawValue
        guard writing.withLock({ $0.insert(key).inserted }) else { return nil }
        guard let file = try? AtomicFile(folder.appendingPathComponent(".\(key).writing").path, mode: 0o644) else {
            writing.withLock { _ = $0.remove(key) }
            return nil
        }
        return Writer(cache: self, format: format, file: file)
    }

    /// Puts a whole version in place under its tag and removes the format's older versions.
    fileprivate func commit(_ writer: Writer, tag: String) {
        defer { writing.withLock { _ = $0.remove(writer.format.rawValue) } }
        guard !writer.failed.withLock({ $0 }), (try? writer.file.commit()) != nil else { return }
        let name = name(writer.format, tag: tag)
        guard rename(writer.file.destination, folder.appendingPathComponent(name).path) == 0 else { return }
        let older = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasPrefix(writer.format.rawValue + "-") && $0 != name }
        for file in older { try? FileManager.default.removeItem(at: folder.appendingPathComponent(file)) }
    }

    fileprivate func abandon(_ writer: Writer) {
        writing.withLock { _ = $0.remove(writer.format.rawValue) }
    }

    /// Copies a stream into the cache beside its consumer. A write that fails (a full
    /// disk) drops the copy, never the consumer's stream.
    final class Writer: Sendable {
        let cache: FeedCache
        let format: ExportFormat
        let file: AtomicFile
        let failed = Mutex(false)

        fileprivate init(cache: FeedCache, format: ExportFormat, file: AtomicFile) {
            (self.cache, self.format, self.file) = (cache, format, file)
        }

        func write(_ text: String) {
            guard !failed.withLock({ $0 }) else { return }
            do { try file.write(Array(text.utf8)) } catch { failed.withLock { $0 = true } }
        }

        /// The whole version was written: it is the file for `tag` from now.
        func finish(tag: String) { cache.commit(self, tag: tag) }

        /// The stream stopped short: nothing is kept.
        func abandon() { cache.abandon(self) }
    }
}
