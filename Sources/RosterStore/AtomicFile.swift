import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RosterCore

/// A file written whole, or not at all: its bytes go to a fresh temporary name in
/// the destination's folder (created with its mode, `O_EXCL | O_NOFOLLOW`, so a
/// planted file or link is never followed), then are synced and renamed over the
/// destination. A reader or a crash sees the old file or the new one, never half of
/// one; a failure, or a writer dropped before `commit`, removes the temporary file.
/// The node's identity, its TLS certificate and key, and every export go through it.
/// Sendable for handing to the reader thread an export is written from: one writer
/// uses it at a time.
public final class AtomicFile: @unchecked Sendable {
    public let destination: String
    private let temporary: String
    private let descriptor: Int32
    private var committed = false

    public init(_ destination: String, mode: mode_t) throws {
        let url = URL(fileURLWithPath: destination)
        let folder = url.deletingLastPathComponent().path
        var created: (Int32, String)?
        for _ in 0..<8 where created == nil {
            let candidate = folder + "/." + url.lastPathComponent + "." + String(UInt64.random(in: 0...UInt64.max), radix: 36) + ".tmp"
            let opened = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if opened >= 0 { created = (opened, candidate) } else if errno != EEXIST { break }
        }
        guard let (descriptor, temporary) = created else {
            throw RosterError(.storage, "cannot write in \(folder): \(String(cString: strerror(errno))); check the folder exists and is writable")
        }
        self.destination = destination
        self.temporary = temporary
        self.descriptor = descriptor
    }

    deinit {
        if !committed {
            close(descriptor)
            unlink(temporary)
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("cannot write")
            }
            offset += written
        }
    }

    /// Syncs and renames into place; until this returns, the destination is untouched.
    /// The folder is synced too, so that the rename outlives a crash.
    public func commit() throws {
        guard !committed else { return }
        guard fsync(descriptor) == 0 else { throw failure("cannot write") }
        committed = true
        guard close(descriptor) == 0, rename(temporary, destination) == 0 else {
            let error = failure("cannot put in place")
            unlink(temporary)
            throw error
        }
        let folder = open(URL(fileURLWithPath: destination).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }

    /// Writes `text` to `url` whole, with `mode`.
    public static func write(_ text: String, to url: URL, mode: mode_t) throws {
        let file = try AtomicFile(url.path, mode: mode)
        try file.write(Array(text.utf8))
        try file.commit()
    }

    private func failure(_ what: String) -> RosterError {
        RosterError(.storage, "\(what) \(destination): \(String(cString: strerror(errno))); nothing was replaced")
    }
}
