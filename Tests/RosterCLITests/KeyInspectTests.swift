import Foundation
import Testing

/// `roster keys inspect` refuses, on one line, what an agency must fix before its key can sign.
@Suite("keys inspect: a key of any suite, from a file or a token, checked before it signs")
struct KeyInspectTests {
    @Test("A key file others can read, another suite than asked, a certificate of another key, a certificate without --ca: refused on one line")
    func refused() throws {
        let folder = try TemporaryFolder()
        func openssl(_ arguments: [String]) throws {
            let made = try RosterProcess.execute(URL(fileURLWithPath: "/usr/bin/env"), ["openssl"] + arguments)
            #expect(made.status == 0, "\(made.stderr)")
        }
        let key = folder.path("agency.pem").path, other = folder.path("other.pem").path
        try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072", "-out", key])
        try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", other])
        try openssl(["req", "-x509", "-key", other, "-out", folder.path("other-cert.pem").path, "-days", "30", "-subj", "/CN=other",
                     "-addext", "keyUsage=critical,digitalSignature", "-addext", "basicConstraints=critical,CA:FALSE"])
        func inspect(_ arguments: [String]) throws -> RosterProcess.Result {
            try RosterProcess.execute(RosterProcess.binary, ["keys", "inspect"] + arguments)
        }
        let read = try inspect([key, "--json"])
        #expect(read.status == 0 && read.stdout.contains("\"suite\":\"rsa-pss-sha256\""), "\(read.stdout)\(read.stderr)")
        // Exit status 2 for what was typed wrong, 3 for a key that will not do (as for every command).
        let cases: [([String], Int32, String)] = [
            ([key, "--suite", "gost2012-512"], 3, "the key is of suite rsa-pss-sha256, not gost2012-512 as asked"),
            ([key, "--suite", "dsa"], 2, "unknown signature suite \"dsa\""),
            ([key, "--certificate", folder.path("other-cert.pem").path, "--ca", folder.path("other-cert.pem").path], 3, "certifies another key"),
            ([key, "--certificate", folder.path("other-cert.pem").path], 2, "--certificate needs --ca"),
            ([folder.path("missing.pem").path], 3, "cannot read the private key"),
        ]
        for (arguments, status, reason) in cases {
            let refused = try inspect(arguments)
            #expect(refused.status == status && refused.stderr.contains(reason) && refused.stderr.split(separator: "\n").count == 1,
                    "\(arguments): \(refused.status) \(refused.stderr)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let open = try inspect([key])
        #expect(open.status == 3 && open.stderr.contains("is readable by others (mode 644): run chmod 600 on it"), "\(open.stderr)")
    }
}
