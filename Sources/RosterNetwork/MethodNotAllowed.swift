import HTTPTypes
import Hummingbird

/// A route asked with a method it does not take answers 405 with `Allow`, as RFC 9110
/// asks, rather than 404: the client has the path right and the method wrong.
enum MethodNotAllowed {
    static let methods: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .patch, .options, .trace, .connect]
        + [HTTPRequest.Method("QUERY")].compactMap { $0 }

    /// Adds the refusals for every route `router` has now: call it after the routes.
    static func add(to router: Router<PeerRequestContext>) {
        let routes = router.routes
        var allowed: [String: (path: RouterPath, methods: [HTTPRequest.Method])] = [:]
        for route in routes {
            allowed[route.path.description, default: (route.path, [])].methods.append(route.method)
        }
        for (path, routed) in allowed.values {
            // The router answers HEAD wherever there is a GET (`autoGenerateHeadEndpoints`).
            let taken = Set(routed.contains(.get) ? routed + [.head] : routed)
            let allow = taken.map(\.rawValue).sorted().joined(separator: ", ")
            for method in methods where !taken.contains(method) {
                router.on(path, method: method) { request, _ -> Response in
                    throw HTTPError(.methodNotAllowed, headers: [.allow: allow],
                                    message: "\(request.method) \(request.uri.path): this route takes \(allow)")
                }
            }
        }
    }
}
