import RosterCore
import Testing

@Suite("Normalisation: one resource, one written form")
struct NormalisationTests {
    @Test("Same resource written two ways normalises to one value", arguments: [
        (Resource.Kind.domain, "Example.COM.", "example.com"),
        (.domain, "пример.рф", "xn--e1afmkfd.xn--p1ai"),
        (.domain, "ПРИМЕР.РФ", "xn--e1afmkfd.xn--p1ai"),
        (.domain, "faß.de", "xn--fa-hia.de"),
        (.domain, "xn--e1afmkfd.xn--p1ai", "xn--e1afmkfd.xn--p1ai"),
        (.domain, " shop.example.com ", "shop.example.com"),
        (.url, "HTTPS://Shop.Example.COM:443/a/./b/../c?x=%7e#frag", "https://shop.example.com/a/c?x=~"),
        (.url, "http://example.com", "http://example.com/"),
        (.url, "http://example.com:8080/%7Euser/%2f", "http://example.com:8080/~user/%2F"),
        (.ip, "192.0.2.1", "192.0.2.1"),
        (.ip, "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        (.ip, "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        (.ip, "::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        (.cidr, "10.0.0.0/8", "10.0.0.0/8"),
        (.cidr, "2001:DB8::/32", "2001:db8::/32"),
        (.onion, "DUCKDUCKGOGG42XJOC72X3SJASOWOARFBGCMVFIMAFTT6TWAGSWZCZAD.ONION",
         "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"),
        (.account, "Telegram:@DrugShop", "telegram:drugshop"),
    ])
    func normalises(kind: Resource.Kind, input: String, expected: String) throws {
        #expect(try Resource(kind: kind, value: input).value == expected)
    }

    @Test("A /32 network is an address", arguments: ["192.0.2.7/32"])
    func singleAddressNetwork(input: String) throws {
        let resource = try Resource(kind: .cidr, value: input)
        #expect(resource.kind == .ip)
        #expect(resource.value == "192.0.2.7")
    }

    @Test("Invalid resources are refused with a reason", arguments: [
        (Resource.Kind.domain, "com"), (.domain, "-bad-.example"), (.domain, "exa mple.com"), (.domain, "a..b"),
        (.domain, "1.2.3.4"), (.domain, "x.onion"), (.domain, String(repeating: "a", count: 64) + ".com"),
        (.domain, "xn--zz.com"), (.url, "ftp://example.com/"), (.url, "https://user@example.com/"), (.url, "example.com"),
        (.ip, "192.168.001.1"), (.ip, "256.1.1.1"), (.ip, "1.2.3"), (.ip, "2001:db8::g"), (.cidr, "10.0.0.1/8"),
        (.cidr, "10.0.0.0/33"), (.onion, "abc.onion"), (.onion, "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczaa.onion"),
        (.account, "nohandle"),
    ])
    func refuses(kind: Resource.Kind, input: String) {
        #expect(throws: RosterError.self) { try Resource(kind: kind, value: input) }
    }

    @Test("Kinds are inferred for check and hosts input", arguments: [
        ("example.com", Resource.Kind.domain), ("https://example.com/x", .url), ("10.1.2.3", .ip), ("10.0.0.0/8", .cidr),
        ("2001:db8::/32", .cidr), ("2001:db8::1", .ip), ("telegram:shop", .account),
        ("duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion", .onion),
    ])
    func infers(input: String, kind: Resource.Kind) throws {
        #expect(try Resource(inferring: input).kind == kind)
    }

    @Test("A peer endpoint has one spelling: https, a host, a port of digits without sign or leading zero", arguments: [
        ("https://kz.example:8443", true), ("https://[2001:db8::1]:443/", true), ("https://kz.example:+443", false),
        ("https://kz.example:0443", false), ("https://kz.example:0", false), ("https://kz.example:65536", false),
        ("http://kz.example:8443", false), ("https://kz.example", false), ("https://:443", false),
    ])
    func endpoints(text: String, valid: Bool) {
        #expect((Endpoint(text) != nil) == valid, "\(text)")
    }
}
