import Foundation
import RosterCore
import Synchronization

/// `GET /v1/export/rpz` of a served node of N entries, as a resolver fetches it:
/// the first byte and the whole zone (curl, a fresh TLS connection each), a 304 on
/// a kept connection (the median of 200), and the server's resident memory before
/// and while streaming, and its peak after; then a TAXII poll for the 10 objects
/// added since the last one.
///
///     .build/release/roster-bench feed 10000 1000000
enum TaxiiCollection {
    /// The collection id every node serves (`TaxiiController.collection`).
    static let id = String(Stix.id("collection", "roster").dropFirst("collection--".count))
}

enum FeedBenchmark {
    static func run(size: Int, roster binary: URL) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roster-bench-feed-\(size)-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("node").path
        func roster(_ arguments: [String]) throws -> Child.Outcome { try Child.run(binary.path, arguments) }
        let port = 18_472

        Benchmark.log("feed N=\(size): preparing")
        _ = try roster(["init", "--agency", "kz-mvd", "--data", data])
        var csv = "value,scope\n"
        for index in 0..<size { csv += "shop-\(index).example-\(index % 97).kz,\(index % 10 == 0 ? "subdomains" : "exact")\n" }
        let csvPath = folder.appendingPathComponent("d.csv").path
        try csv.write(toFile: csvPath, atomically: false, encoding: .utf8)
        csv = ""
        _ = try roster(["import", csvPath, "--format", "csv", "--category", "drugs", "--authority", "A", "--reference", "R",
                        "--decided", "2026-01-01", "--data", data])

        let server = Process()
        server.executableURL = binary
        server.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--interval", "0", "--checkpoint-interval", "0", "--data", data]
        let log = folder.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        server.standardError = try FileHandle(forWritingTo: log)
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let url = "https://localhost:\(port)/v1/export/rpz"
        let certificate = data + "/tls.crt"
        let started = Date()
        while Date().timeIntervalSince(started) < 60,
              (try? Process.output(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", certificate,
                                                                             "https://localhost:\(port)/healthz"])) != "200" {
            Thread.sleep(forTimeInterval: 0.2)
        }
        // The check index loads beside the server first: its memory is not the feed's.
        while Date().timeIntervalSince(started) < 120, !((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("check index loaded") {
            Thread.sleep(forTimeInterval: 0.2)
        }
        let idle = memory(server.processIdentifier, "VmRSS")

        let exported = try roster(["export", "--format", "rpz", "-o", folder.appendingPathComponent("zone.rpz").path, "--data", data])
        print("roster export --format rpz of \(size) entries: \(String(format: "%.1f", exported.seconds)) s, peak \(exported.peakBytes >> 20) MB")

        Benchmark.log("feed N=\(size): fetching")
        // The first byte of the body, not of the headers (sent before the zone is read), over a fresh TLS connection.
        let firstBody = try Process.output(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import socket, ssl, time
            context = ssl.create_default_context(cafile="\(certificate)")
            started = time.monotonic()
            tls = context.wrap_socket(socket.create_connection(("localhost", \(port))), server_hostname="localhost")
            tls.sendall(b"GET /v1/export/rpz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n")
            received = b""
            while b"\\r\\n\\r\\n" not in received: received += tls.recv(65536)
            head, body = received.split(b"\\r\\n\\r\\n", 1)
            chunked = b"chunked" in head.lower()
            # A chunked body's first byte follows its first chunk's size line.
            while not ((b"\\r\\n" in body and len(body.split(b"\\r\\n", 1)[1]) > 0) if chunked else len(body) > 0):
                more = tls.recv(65536)
                if not more: break
                body += more
            print("%.1f %s" % ((time.monotonic() - started) * 1000, "streamed" if chunked else "from the feed cache"))
            """]).trimmingCharacters(in: .whitespacesAndNewlines)
        let (firstMilliseconds, source) = (firstBody.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "?",
                                           firstBody.split(separator: " ", maxSplits: 1).dropFirst().first.map(String.init) ?? "")
        print("rpz feed at \(size): first byte of the zone after \(firstMilliseconds) ms (fresh TLS connection, \(source))")
        var firstBytes: [Double] = [], totals: [Double] = []
        let streaming = Mutex(0)
        let pid = server.processIdentifier
        var tag = ""
        for _ in 0..<5 {
            // Sample the server's memory while it streams.
            let sampler = Thread {
                for _ in 0..<200 {
                    let now = memory(pid, "VmRSS")
                    streaming.withLock { $0 = max($0, now) }
                    Thread.sleep(forTimeInterval: 0.02)
                }
            }
            sampler.start()
            let headers = folder.appendingPathComponent("headers").path
            let timing = try Process.output(URL(fileURLWithPath: "/usr/bin/curl"), [
                "-s", "-o", "/dev/null", "-D", headers, "--cacert", certificate, "-w", "%{time_starttransfer} %{time_total} %{size_download}", url,
            ]).split(separator: " ").compactMap { Double($0) }
            guard timing.count == 3 else { throw RosterError(.badInput, "curl gave no timing") }
            firstBytes.append(timing[0] * 1000)
            totals.append(timing[1])
            tag = (try String(contentsOfFile: headers, encoding: .utf8)).firstMatch(of: /(?i)etag: ([^\r\n]+)/).map { String($0.1) } ?? ""
            if firstBytes.count == 1 { print("rpz feed of \(size) entries: \(Int(timing[2]) >> 20) MB") }
        }
        let peak = memory(server.processIdentifier, "VmHWM")
        // 201 requests on one connection: curl reuses it for every URL on its command line.
        let conditional = try Process.output(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "--cacert", certificate, "-H", "If-None-Match: \(tag)",
            "-w", "%{http_code} %{time_total}\\n"] + Array(repeating: url, count: 201))
        let notModified = conditional.split(separator: "\n").dropFirst().compactMap { line -> Double? in
            let parts = line.split(separator: " ")
            guard parts.count == 2, parts[0] == "304" else { return nil }
            return Double(parts[1]).map { $0 * 1000 }
        }.sorted()
        firstBytes.sort()
        totals.sort()
        print("rpz feed at \(size): headers median \(String(format: "%.0f", firstBytes[2])) ms (fresh TLS connection), "
            + "whole zone median \(String(format: "%.0f", totals[2] * 1000)) ms")
        if notModified.count == 200 {
            print("rpz feed at \(size): 304 on a kept connection p50 \(String(format: "%.2f", notModified[100])) ms, p99 \(String(format: "%.2f", notModified[198])) ms")
        } else {
            print("rpz feed at \(size): only \(notModified.count) of 200 conditional requests were answered 304")
        }
        // TAXII: what an intel platform polls, the objects added after its last pull.
        let objects = "https://localhost:\(port)/taxii2/roster/collections/\(TaxiiCollection.id)/objects/"
        Thread.sleep(forTimeInterval: 0.01)
        let mark = Date()
        for index in 0..<10 {
            _ = try roster(["add", "domain", "new-\(index).example", "--category", "drugs", "--authority", "A", "--reference", "R", "--decided", "2026-01-01", "--data", data])
        }
        let since = Stix.time(milliseconds: Int64((mark.timeIntervalSince1970 * 1000).rounded(.down)))
        let polled = try Process.output(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-o", "/dev/null", "--cacert", certificate, "-w", "%{http_code} %{size_download} %{time_total}\\n"]
            + Array(repeating: objects + "?added_after=\(since)", count: 51))
        let pulls = polled.split(separator: "\n").dropFirst().compactMap { line -> Double? in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "200" else { return nil }
            return Double(parts[2]).map { $0 * 1000 }
        }.sorted()
        let body = try Process.output(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "--cacert", certificate, objects + "?added_after=\(since)"])
        let indicators = body.components(separatedBy: "\"type\":\"indicator\"").count - 1
        if pulls.count == 50 {
            print("TAXII added_after pull of \(indicators) new objects from \(size): p50 \(String(format: "%.2f", pulls[25])) ms, p99 \(String(format: "%.2f", pulls[49])) ms (kept connection)")
        }
        print("serve memory at \(size): \(idle >> 10) MB before, \(streaming.withLock { $0 } >> 10) MB at most while streaming, peak \(peak >> 10) MB")
    }

    /// A field of /proc/PID/status, in kB.
    static func memory(_ pid: Int32, _ field: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
