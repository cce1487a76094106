import Dashboard
import Testing

/// The dashboard's fault log and history: the newest items, numbered in arrival order.
@Suite("BoundedLog")
struct BoundedLogTests {
    @Test func keepsTheNewestAndNumbersThemInArrivalOrder() {
        var log = BoundedLog<Int>(capacity: 3)
        #expect(log.isEmpty && log[number: 0] == nil)
        for value in 0..<10 { log.append(value * 10) }
        #expect(log.count == 3)
        #expect(log.appended == 10 && log.evicted == 7 && log.firstNumber == 7)
        #expect(log[number: 6] == nil, "evicted")
        #expect(log[number: 7] == 70 && log[number: 9] == 90)
        #expect(log[number: 10] == nil, "not yet appended")
        #expect(log[newest: 0] == 90 && log[newest: 2] == 70)
        #expect(Array(log.newestFirst) == [90, 80, 70])
    }

    @Test func beforeItFillsNothingIsEvicted() {
        var log = BoundedLog<String>(capacity: 5)
        log.append("a"); log.append("b")
        #expect(log.evicted == 0 && log.firstNumber == 0)
        #expect(Array(log.newestFirst) == ["b", "a"])
        #expect(log[number: 0] == "a" && log[number: 1] == "b")
    }

    @Test func aCapacityBelowOneKeepsOne() {
        var log = BoundedLog<Int>(capacity: 0)
        log.append(1); log.append(2)
        #expect(log.capacity == 1 && Array(log.newestFirst) == [2])
    }
}
