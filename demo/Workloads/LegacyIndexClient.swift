import Dispatch
import SystemCalls

/// A callback-based client of the old search index, with no way to cancel a call.
///
/// Awaiting it through a plain continuation ignores cancellation, as wrappers of such APIs
/// often do: the child keeps running until the callback fires, and SafeGroup reports it slow
/// to cancel.
enum LegacyIndexClient {
    /// Starts a rebuild; `completion` runs on a Dispatch queue when it is done.
    static func rebuild(shards: Int, taking duration: Duration, completion: @escaping @Sendable (Int) -> Void) {
        let nanoseconds = Int(Posix.nanoseconds(duration))
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { completion(shards) }
    }

    /// Rebuilds the index for `shards` shards; returns the number of shards indexed.
    ///
    /// - Throws: `CancellationError` when the caller was cancelled while it waited: the rebuild
    ///   cannot be stopped, but its result is stale by then. Thrown right after the wait, so the
    ///   fault shows the line where the child was stuck.
    static func rebuild(shards: Int, taking duration: Duration) async throws -> Int {
        let indexed = await withCheckedContinuation { continuation in
            rebuild(shards: shards, taking: duration) { continuation.resume(returning: $0) }
        }
        try Task.checkCancellation()
        return indexed
    }
}
