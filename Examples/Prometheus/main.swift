// SafeGroup's metrics in Prometheus text format: EventMetricsSink feeding swift-prometheus.
// Run: swift run safegroup-prometheus-example
//
// A service would serve `registry.emitToString()` on its /metrics endpoint; here a price
// lookup fans out to four suppliers (one fails, one times out) and the metrics are printed.

import GroupEvents
import Prometheus
import SafeGroup
import SafeGroupMetrics

struct SupplierDown: Error, CustomStringConvertible {
    var description: String { "supplier is down (503)" }
}

let registry = PrometheusCollectorRegistry()
let metrics = EventMetricsSink(factory: PrometheusMetricsFactory(registry: registry))

let report = await withSafeGroup(of: Int.self, name: "prices", sink: metrics) { group in
    for supplier in ["acme", "globex", "initech"] {
        await group.spawn("price from \(supplier)") {
            if supplier == "globex" { throw SupplierDown() }
            return supplier.count
        }
    }
    await group.spawn("price from umbrella", timeout: .milliseconds(20)) {
        try await Task.sleep(for: .seconds(3600))
        return 0
    }
}
print("prices: \(report.childCount) children, \(report.faults.count) faults")
print(registry.emitToString(), terminator: "")
