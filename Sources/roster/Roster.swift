import ArgumentParser
import Foundation
import Logging
import NationalSuites
import RosterCore

/// `roster`: the agency operator's command line. Exit codes: 0 success, 1 a negative
/// answer (not listed, audit findings), 2 bad input, 3 node or storage trouble.
@main
struct Roster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A federated, signed roster of internet resources that agencies have registered as illegal.",
        discussion: "Examples:\n  roster serve --dev\n  roster add domain shop.example --scope subdomains --category drugs \\\n      --authority \"MVD KZ\" --reference \"No. 118\" --decided 2026-03-02\n  roster check www.shop.example",
        subcommands: [
            Init.self, Add.self, Amend.self, Revoke.self, List.self, Show.self, Mirrors.self, Check.self, Status.self, Keys.self,
            Export.self, Import.self, Audit.self, Pending.self, Peers.self, AgencyCommand.self, Serve.self, Sync.self,
            CheckpointCommand.self, Prove.self, VerifyProof.self, Backup.self,
        ])

    static func main() async {
        let environment = ProcessInfo.processInfo.environment
        let level = environment["ROSTER_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
        LoggingSystem.bootstrap { label in
            if environment["ROSTER_LOG_FORMAT"] == "json" { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        // Operations of every suite verify, whether or not a store is opened (roster log audit).
        NationalSuites.install()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as RosterError {
            Terminal.error(error.reason)
            Foundation.exit(error.exitCode)
        } catch let exit as NegativeAnswer {
            Foundation.exit(exit.code)
        } catch {
            Self.exit(withError: error)
        }
    }
}

/// Ends a command with exit status 1 after it printed its answer.
struct NegativeAnswer: Error {
    let code: Int32 = 1
}

extension RosterError {
    var exitCode: Int32 {
        switch code {
        case .storage, .noNode, .nodeExists, .badKey, .unreachable, .timeout, .peerRefused, .pinMismatch,
             .badAnswer, .syncIncomplete, .suiteUnavailable: return 3
        default: return 2
        }
    }
}
