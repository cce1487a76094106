/// Arithmetic that stops at the type's bounds instead of trapping, for numbers from a stream.
///
/// Every count and duration in a stream is untrusted: a line may say `"childCount":
/// 9223372036854775807`, and `count + 1` on it traps, which takes a viewer down. Viewers
/// (the dashboard, `dump`, `list`) add, subtract and scale stream numbers only through these:
/// a saturated number shows as the largest there is, which is as wrong as the stream, and no
/// worse.
extension FixedWidthInteger {
    /// `self + other`, or the nearest bound when that overflows.
    @inlinable
    package func addingSaturated(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, or the nearest bound when that overflows.
    @inlinable
    package func subtractingSaturated(_ other: Self) -> Self {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    /// `self * other`, or the nearest bound when that overflows.
    @inlinable
    package func multipliedSaturated(by other: Self) -> Self {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }

    /// Adds `other`, stopping at the nearest bound.
    @inlinable
    package mutating func addSaturating(_ other: Self) { self = addingSaturated(other) }

    /// Subtracts `other`, stopping at the nearest bound.
    @inlinable
    package mutating func subtractSaturating(_ other: Self) { self = subtractingSaturated(other) }
}
