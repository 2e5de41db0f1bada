import Foundation
import RosterCore

extension BroadEntries {
    static let defaultListPath = "/usr/share/publicsuffix/public_suffix_list.dat"

    /// The system's public suffix list (Debian's `publicsuffix` package), or the
    /// copy that `ROSTER_PUBLIC_SUFFIX_LIST` names, for `add` and `import` to judge
    /// which resources are broad.
    static func load(allowed: Bool) throws -> BroadEntries {
        let path = ProcessInfo.processInfo.environment["ROSTER_PUBLIC_SUFFIX_LIST"] ?? defaultListPath
        let text: String
        do {
            text = String(decoding: try InputFile.read(path, limit: 16 << 20), as: UTF8.self)
        } catch let error as RosterError {
            throw RosterError(.storage, "cannot read the public suffix list (\(error.reason)): install Debian's publicsuffix package, "
                + "or set ROSTER_PUBLIC_SUFFIX_LIST to a copy of publicsuffix.org's list")
        }
        let suffixes = PublicSuffixList(text: text)
        guard !suffixes.isEmpty else {
            throw RosterError(.storage, "the public suffix list \(path) holds no rules: reinstall Debian's publicsuffix package")
        }
        return BroadEntries(suffixes: suffixes, allowed: allowed)
    }
}
