import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RosterCore

/// Files the node writes whole (its identity, its TLS certificate and key): written
/// under a temporary name, created with their mode and never through a link, synced,
/// then renamed into place, so that a reader or a crash sees the old file or the
/// new one, never half of one.
public enum AtomicFile {
    public static func write(_ text: String, to url: URL, mode: mode_t) throws {
        let temporary = url.path + ".\(getpid()).tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw RosterError(.storage, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == bytes.count, synced, rename(temporary, url.path) == 0 else {
            unlink(temporary)
            throw RosterError(.storage, "cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
