import Foundation
import RosterCore

/// A file an operator named: only a regular file is read, and only up to `limit`,
/// so that `/dev/zero` or a FIFO named by mistake is an error, not a command that
/// reads until memory runs out.
enum InputFile {
    /// Descriptors are a few kilobytes; a megabyte is already absurd.
    static let descriptorLimit = 1 << 20

    static func read(_ path: String, limit: Int = .max) throws -> [UInt8] {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw RosterError(.badInput, "cannot read \(path): \(String(cString: strerror(errno))); check the path")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw RosterError(.badInput, "\(path) is not a regular file: name the file to read")
        }
        guard Int(status.st_size) <= limit else {
            throw RosterError(.badInput, "\(path) is \(status.st_size) bytes, more than the \(limit) such a file may have")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= limit else {
            throw RosterError(.badInput, "cannot read \(path): check its permissions")
        }
        return Array(data)
    }
}
