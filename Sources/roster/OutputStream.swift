import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RosterCore

/// Buffered output to a file or stdout, for exports of millions of lines.
///
/// A file is written under a fresh temporary name in the destination's folder
/// (`O_CREAT | O_EXCL | O_NOFOLLOW`, so a planted file or symlink is never
/// followed), synced, and renamed over the destination with `rename(2)`: a
/// resolver that reloads at any moment sees the old export or the new one, never
/// none or half of one. Any failure removes the temporary file.
final class OutputStream {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let temporary: String?
    private let destination: String?
    private var finished = false

    init(path: String?) throws {
        buffer.reserveCapacity(1 << 20)
        guard let path else {
            descriptor = STDOUT_FILENO
            temporary = nil
            destination = nil
            return
        }
        var status = stat()
        if lstat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            throw RosterError(.invalidField, "\(path) is a directory: give a file name for the export")
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var created: (Int32, String)?
        for _ in 0..<8 where created == nil {
            let candidate = folder + "/." + url.lastPathComponent + "." + String(UInt64.random(in: 0...UInt64.max), radix: 36) + ".tmp"
            let opened = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if opened >= 0 { created = (opened, candidate) } else if errno != EEXIST { break }
        }
        guard let (opened, temporary) = created else {
            throw RosterError(.storage, "cannot write in \(folder): \(String(cString: strerror(errno))); check the folder exists and is writable")
        }
        descriptor = opened
        self.temporary = temporary
        destination = path
    }

    deinit {
        if let temporary, !finished {
            close(descriptor)
            unlink(temporary)
        }
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func write(bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw RosterError(.storage, "cannot write the export: \(String(cString: strerror(errno))); nothing was replaced")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Syncs and renames into place; until this returns, the destination is untouched.
    func finish() throws {
        try flush()
        guard let temporary, let destination else { return }
        guard fsync(descriptor) == 0, close(descriptor) == 0 else {
            throw RosterError(.storage, "cannot write the export: \(String(cString: strerror(errno))); nothing was replaced")
        }
        finished = true
        guard rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw RosterError(.storage, "cannot put the export at \(destination): \(reason)")
        }
    }
}
