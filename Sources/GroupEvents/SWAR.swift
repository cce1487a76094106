extension UInt64 {
    /// The index of the first of these eight bytes (in memory order) that is `"`, `\\` or
    /// below 0x20, or nil: the bytes that end a run of plain string content, in JSON text or
    /// in a string to escape.
    ///
    /// Testing eight bytes at once is what lets strings be copied and scanned at a fraction of
    /// a cycle a byte. The classic has-zero and has-less-than tests flag every match and
    /// give false positives only above a true one, so the lowest flag is exact; a byte
    /// ≥ 0x80 never matches, so UTF-8 passes through untouched.
    @inline(__always)
    var firstQuoteBackslashOrControlByte: Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let word = UInt64(littleEndian: self)
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let control = (word &- ones &* 0x20) & ~word
        let isQuote = (quote &- ones) & ~quote
        let isBackslash = (backslash &- ones) & ~backslash
        let flags = (control | isQuote | isBackslash) & (ones &* 0x80)
        return flags == 0 ? nil : flags.trailingZeroBitCount / 8
    }

    /// The index of the first `\n` among these eight bytes (in memory order), or nil.
    ///
    /// The has-zero test on `self ^ 0x0A…` flags every newline, and its lowest flag is exact.
    @inline(__always)
    var firstNewlineByte: Int? {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let x = UInt64(littleEndian: self) ^ (ones &* 0x0A)
        let flags = (x &- ones) & ~x & (ones &* 0x80)
        return flags == 0 ? nil : flags.trailingZeroBitCount / 8
    }
}
