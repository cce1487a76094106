/// The messages of a ``MonitorClient``, as an asynchronous sequence.
///
/// Making an iterator starts a reader thread and its connection; the iterator's end (or its
/// task's cancellation, or dropping it) stops them. The sequence ends normally when the client
/// does not reconnect and the connection ends, and with a ``MonitorClientError`` when the
/// socket cannot be reached or its stream cannot be read.
public struct MonitorMessages: AsyncSequence, Sendable {
    public typealias Element = MonitorMessage
    public typealias Failure = MonitorClientError

    let client: MonitorClient

    public func makeAsyncIterator() -> Iterator { Iterator(client: client) }

    /// Reads one connection's messages; not to be shared between tasks.
    public struct Iterator: AsyncIteratorProtocol {
        public typealias Element = MonitorMessage
        public typealias Failure = MonitorClientError

        private let handle: Handle
        private var batch: [MonitorMessage] = []
        private var index = 0
        private var finished = false

        init(client: MonitorClient) { handle = Handle(client: client) }

        /// Whether messages already taken from the reader wait in this iterator, so that the
        /// next call to ``next()`` returns at once. A writer can flush when this is false.
        public var hasBufferedMessages: Bool { index < batch.count }

        public mutating func next() async throws(MonitorClientError) -> MonitorMessage? {
            while index >= batch.count {
                guard !finished else { return nil }
                switch await handle.take() {
                case .messages(let messages):
                    batch = messages
                    index = 0
                case .end(let error):
                    finished = true
                    batch = []
                    index = 0
                    if let error { throw error }
                    return nil
                }
            }
            defer { index += 1 }
            return batch[index]
        }
    }

    /// Starts the reader at the first `take`, and stops it when the iterator goes away.
    final class Handle: Sendable {
        private let client: MonitorClient
        private let channel: MessageChannel?
        private let startFailure: MonitorClientError?

        init(client: MonitorClient) {
            self.client = client
            do {
                let channel = try MessageChannel(capacity: client.queueCapacity)
                try ClientReader.start(client: client, channel: channel)
                self.channel = channel
                self.startFailure = nil
            } catch {
                self.channel = nil
                self.startFailure = MonitorClientError(.system, path: client.path,
                    "cannot read \(client.path): \(error)")
            }
        }

        func take() async -> MessageChannel.Taken {
            guard let channel else { return .end(startFailure) }
            return await channel.take()
        }

        deinit { channel?.cancel() }
    }
}
