import COpenSSL
import RosterCore
import Synchronization

/// What the system OpenSSL says went wrong, on one line, and its queue emptied so
/// that the next call starts clean.
enum OpenSSL {
    static func reason() -> String {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // "error:0480006C:PEM routines::no start line" → "no start line"
            reasons.append(text.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? text)
        }
        return reasons.isEmpty ? "no reason given" : reasons.joined(separator: "; ")
    }

    static func error(_ code: RosterError.Code, _ what: String) -> RosterError {
        RosterError(code, "\(what) (OpenSSL: \(reason()))")
    }
}

/// OpenSSL engines, loaded once from the system's engines folder: `gost` brings
/// GOST R 34.10-2012 and Streebog, `pkcs11` keys in hardware tokens.
struct Engine: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Loaded and made the default for what it implements; nil when its package is missing.
    static func load(_ id: String) -> Engine? {
        guard let engine = ENGINE_by_id(id) else {
            ERR_clear_error()
            return nil
        }
        guard ENGINE_init(engine) == 1 else {
            ENGINE_free(engine)
            ERR_clear_error()
            return nil
        }
        ENGINE_set_default(engine, 0xFFFF)   // ENGINE_METHOD_ALL, a cast Swift does not import
        return Engine(pointer: engine)
    }

    static let gost = load("gost")

    /// The PKCS#11 engine, for one module: keys in a token are used through it, never
    /// made its default for anything else. One module a process, the first asked for.
    static func pkcs11(module: String) throws -> Engine {
        try tokens.withLock { loaded in
            if let loaded {
                guard loaded.module == module else {
                    throw RosterError(.badKey, "this process uses the PKCS#11 module \(loaded.module) already, not \(module)")
                }
                return loaded.engine
            }
            guard let engine = ENGINE_by_id("pkcs11") else {
                throw OpenSSL.error(.unsupportedAlgorithm, "keys in hardware need the OpenSSL PKCS#11 engine: install libengine-pkcs11-openssl")
            }
            // QUIET: errors are ours to say, on one line. FORCE_LOGIN: every key loaded
            // checks its PIN, even where a session of this process is logged in already.
            guard ENGINE_ctrl_cmd_string(engine, "MODULE_PATH", module, 0) == 1, ENGINE_ctrl_cmd_string(engine, "QUIET", nil, 0) == 1,
                ENGINE_ctrl_cmd_string(engine, "FORCE_LOGIN", nil, 0) == 1, ENGINE_init(engine) == 1
            else {
                ENGINE_free(engine)
                throw OpenSSL.error(.badKey, "the PKCS#11 engine cannot load the module \(module)")
            }
            loaded = (module, Engine(pointer: engine))
            return Engine(pointer: engine)
        }
    }

    private static let tokens = Mutex<(module: String, engine: Engine)?>(nil)

    /// Fails with the package to install when a GOST suite is asked for without it.
    static func require(_ suite: Suite) throws {
        guard suite == .gost256 || suite == .gost512 else { return }
        guard gost != nil else {
            throw RosterError(.unsupportedAlgorithm, "\(suite.rawValue) needs the OpenSSL GOST engine: install \(suite.package ?? "it") (apt-get install \(suite.package ?? ""))")
        }
    }
}
