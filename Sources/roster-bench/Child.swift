import Foundation

/// A child process timed with its own resource usage: wall time and peak resident memory.
enum Child {
    struct Outcome {
        let status: Int32
        let seconds: Double
        let peakBytes: Int
        /// What the child printed, when asked for.
        var stdout = ""
    }

    static func run(_ path: String, _ arguments: [String], capture: Bool = false) throws -> Outcome {
        let output = capture ? FileManager.default.temporaryDirectory.appendingPathComponent("roster-bench-\(getpid())-out").path : "/dev/null"
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let start = Date()
        guard posix_spawn(&pid, path, &actions, nil, argv, environ) == 0 else {
            throw NSError(domain: "roster-bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot start \(path)"])
        }
        var status: Int32 = 0
        var usage = rusage()
        _ = wait4(pid, &status, 0, &usage)
        let seconds = Date().timeIntervalSince(start)
        // ru_maxrss is in kilobytes on Linux.
        var outcome = Outcome(status: (status >> 8) & 0xFF, seconds: seconds, peakBytes: Int(usage.ru_maxrss) * 1024)
        if capture {
            outcome.stdout = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: output)
        }
        return outcome
    }
}
