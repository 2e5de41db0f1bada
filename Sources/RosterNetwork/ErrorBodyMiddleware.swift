import Hummingbird

/// Gives every error answer the body `error.schema.json` promises: Hummingbird's
/// own refusals (no such route, a body past its limit) come without a message.
struct ErrorBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.body == nil {
            let reason = switch error.status {
            case .notFound: "no such route: Schemas/openapi.json describes every route the node answers (docs/sync.md, docs/log.md, README)"
            case .contentTooLarge: "the body is larger than \(SyncLimits.maximumBody) bytes: send smaller pages"
            default: error.status.reasonPhrase
            }
            throw HTTPError(error.status, headers: error.headers, message: "\(request.method) \(request.uri.path): \(reason)")
        }
    }
}
