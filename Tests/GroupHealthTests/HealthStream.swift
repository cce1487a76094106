import GroupEvents
import GroupHealth

/// Builds a stream of events at chosen stream times and feeds it to a ``HealthModel``.
struct HealthStream {
    var model: HealthModel
    private var nextTask: UInt64 = 1

    init(_ configure: (inout HealthConfiguration) -> Void = { _ in }) {
        var configuration = HealthConfiguration()
        configure(&configuration)
        model = HealthModel(configuration: configuration)
    }

    static func seconds(_ s: Double) -> MonotonicTime { MonotonicTime(nanoseconds: UInt64(s * 1e9)) }
    static let site = SourceSite(file: "Checkout/Handler.swift", line: 57)

    mutating func open(_ group: UInt64, at s: Double, limit: Int? = nil) {
        model.apply(Event(time: Self.seconds(s), .groupOpened(GroupOpened(
            group: GroupID(rawValue: group), name: "g\(group)", site: SourceSite(file: "Service.swift", line: 1),
            policy: .collectAll, limit: limit))))
    }

    @discardableResult
    mutating func spawn(group: UInt64 = 1, site: SourceSite = HealthStream.site, at s: Double) -> TaskID {
        let task = TaskID(rawValue: nextTask)
        nextTask += 1
        model.apply(Event(time: Self.seconds(s), .taskSpawned(TaskSpawned(task: task, group: GroupID(rawValue: group), name: "t", site: site))))
        return task
    }

    mutating func start(_ task: TaskID, group: UInt64 = 1, at s: Double, waited: Double = 0) {
        model.apply(Event(time: Self.seconds(s), .taskStarted(TaskStarted(task: task, group: GroupID(rawValue: group),
                                                                         waitedNanoseconds: UInt64(waited * 1e9)))))
    }

    mutating func end(_ task: TaskID, group: UInt64 = 1, _ status: TaskStatus = .ok, at s: Double, duration: Double) {
        model.apply(Event(time: Self.seconds(s), .taskEnded(TaskEnded(task: task, group: GroupID(rawValue: group), status: status,
                                                                     durationNanoseconds: UInt64(duration * 1e9)))))
    }

    /// A child of `site` that runs `duration` seconds from `s`.
    mutating func run(site: SourceSite = HealthStream.site, group: UInt64 = 1, at s: Double, duration: Double, _ status: TaskStatus = .ok) {
        let task = spawn(group: group, site: site, at: s)
        start(task, group: group, at: s)
        end(task, group: group, status, at: s + duration, duration: duration)
    }

    mutating func advance(to s: Double) { model.advance(to: Self.seconds(s)) }

    /// Advances second by second from `from` to `to`, returning the active kinds after each.
    mutating func timeline(from: Int, to: Int, each: (inout HealthStream, Int) -> Void = { _, _ in }) -> [Int: [WarningKind]] {
        var seen: [Int: [WarningKind]] = [:]
        for second in from...to {
            each(&self, second)
            advance(to: Double(second))
            seen[second] = model.warnings.map(\.kind)
        }
        return seen
    }

    func kinds() -> [WarningKind] { model.warnings.map(\.kind) }
}
