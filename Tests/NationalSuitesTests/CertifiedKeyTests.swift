import Foundation
import NationalSuites
import RosterCore
import Testing

/// Agency keys certified by a national CA, as `openssl req` and `openssl x509` make
/// a test CA and its certificates: verified by OpenSSL at a key event's time.
@Suite("Certified agency keys: X.509 chains to a jurisdiction's CA root")
struct CertifiedKeyTests {
    /// A CA (and a second, unrelated one), an intermediate, and certificates of an agency's P-256 key.
    final class Authority {
        let folder: Folder
        init() throws {
            folder = try Folder()
            let script = """
                set -e
                cd "$1"
                ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" -out "$1.pem" -days 3650 \\
                    -subj "$2" -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null; }
                ca root "/C=KZ/O=National CA of Kazakhstan/CN=KZ Root"
                ca other "/C=XX/O=Another CA/CN=Other Root"
                printf 'keyUsage=critical,keyCertSign,cRLSign\\nbasicConstraints=critical,CA:TRUE\\n' > ca.ext
                printf 'keyUsage=critical,digitalSignature\\nbasicConstraints=CA:FALSE\\n' > sign.ext
                printf 'keyUsage=critical,keyEncipherment\\nbasicConstraints=CA:FALSE\\n' > encipher.ext
                openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out intermediate.key
                openssl req -new -key intermediate.key -subj "/C=KZ/O=National CA of Kazakhstan/CN=KZ Issuing CA" -out intermediate.csr
                openssl x509 -req -in intermediate.csr -CA root.pem -CAkey root.key -CAcreateserial -days 1825 -extfile ca.ext -out intermediate.pem 2>/dev/null
                openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out agency.key
                openssl req -new -key agency.key -subj "/C=KZ/O=MVD KZ/CN=kz-mvd root key" -out agency.csr
                openssl x509 -req -in agency.csr -CA root.pem -CAkey root.key -CAcreateserial -days 365 -extfile sign.ext -out agency.pem 2>/dev/null
                openssl x509 -req -in agency.csr -CA intermediate.pem -CAkey intermediate.key -CAcreateserial -days 365 -extfile sign.ext -out agency-via.pem 2>/dev/null
                openssl x509 -req -in agency.csr -CA other.pem -CAkey other.key -CAcreateserial -days 365 -extfile sign.ext -out agency-other.pem 2>/dev/null
                openssl x509 -req -in agency.csr -CA root.pem -CAkey root.key -CAcreateserial -days 365 -extfile encipher.ext -out agency-encipher.pem 2>/dev/null
                openssl req -new -utf8 -key agency.key -subj "/C=KZ/O=МВД РК/CN=$(printf 'kz-mvd\\033[31m')" -out agency-utf8.csr
                openssl x509 -req -in agency-utf8.csr -CA root.pem -CAkey root.key -CAcreateserial -days 365 -extfile sign.ext -out agency-utf8.pem 2>/dev/null
                """
            let made = try Command.run("/usr/bin/env", ["bash", "-c", script, "bash", folder.url.path])
            guard made.status == 0 else { throw RosterError(.badInput, "the test CA was not made: \(made.output)") }
        }

        func certificates(_ name: String) throws -> [[UInt8]] {
            try CertifiedKey.certificates(pem: Array(try Data(contentsOf: folder.path("\(name).pem"))))
        }
    }

    /// A moment after the authority made its certificates (they are valid from the second they were made).
    static func now() -> Timestamp { Timestamp(Date().addingTimeInterval(2)) }

    @Test("A key certified by the jurisdiction's root, directly or through an intermediate, verifies: its subject, issuer and key")
    func certified() throws {
        let authority = try Authority()
        let now = Self.now()
        let roots = try authority.certificates("root")
        let agencyKey = try SuiteKey(pem: Array(try Data(contentsOf: authority.folder.path("agency.key"))))
        let direct = try CertifiedKey.verify(chain: try authority.certificates("agency"), roots: roots, at: now)
        #expect(direct.subject == "CN=kz-mvd root key,O=MVD KZ,C=KZ" && direct.issuer == "CN=KZ Root,O=National CA of Kazakhstan,C=KZ")
        #expect(direct.publicKey == agencyKey.publicKey && direct.publicKey.suite == .ecdsaP256)
        let chain = try authority.certificates("agency-via") + authority.certificates("intermediate")
        let through = try CertifiedKey.verify(chain: chain, roots: roots, at: now)
        #expect(through.issuer == "CN=KZ Issuing CA,O=National CA of Kazakhstan,C=KZ" && through.publicKey == agencyKey.publicKey)
        // A name in the agency's own script reads as written; a control character in it is shown, not obeyed.
        let named = try CertifiedKey.verify(chain: try authority.certificates("agency-utf8"), roots: roots, at: now)
        #expect(named.subject == "CN=kz-mvd\\1B[31m,O=МВД РК,C=KZ", "\(named.subject)")
    }

    @Test("A chain to another CA, an expired or not yet valid certificate, a missing intermediate or chain, no digitalSignature: refused with one line")
    func refused() throws {
        let authority = try Authority()
        let now = Self.now()
        let roots = try authority.certificates("root")
        let later = try Timestamp("2030-01-01T00:00:00Z"), earlier = try Timestamp("2020-01-01T00:00:00Z")
        let cases: [([[UInt8]], Timestamp, String)] = [
            (try authority.certificates("agency-other"), now, "unable to get local issuer certificate"),
            (try authority.certificates("agency"), later, "certificate has expired"),
            (try authority.certificates("agency"), earlier, "certificate is not yet valid"),
            (try authority.certificates("agency-via"), now, "unable to get local issuer certificate"),
            ([], now, "no certificate: this agency's jurisdiction needs its keys certified"),
            (try authority.certificates("agency-encipher"), now, "its key usage lacks digitalSignature"),
            (try authority.certificates("intermediate"), now, "is a CA's: give the agency key's own certificate first"),
        ]
        for (chain, time, reason) in cases {
            do {
                _ = try CertifiedKey.verify(chain: chain, roots: roots, at: time)
                Issue.record("\(reason): verified")
            } catch let error as RosterError {
                #expect(error.reason.contains(reason) && !error.reason.contains("\n"), "\(error.reason)")
            }
        }
        #expect(throws: RosterError(.badKey, "")) { try CertifiedKey.certificates(pem: Array("no certificate here".utf8)) }
        #expect(throws: RosterError(.badKey, "")) { try CertifiedKey.verify(chain: [[0x30, 0x00]], roots: roots, at: now) }
    }
}
