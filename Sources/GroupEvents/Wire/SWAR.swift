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

    /// The value of these eight bytes (in memory order) as eight decimal digits, or nil when
    /// any of them is not an ASCII digit.
    ///
    /// Combines neighbouring digits pairwise with three multiplications instead of eight
    /// dependent multiply-adds.
    @inline(__always)
    var eightDigitsValue: UInt64? {
        let word = UInt64(littleEndian: self)
        let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        let zeros: UInt64 = 0x3030_3030_3030_3030
        // Every byte is 0x30...0x39: its high nibble is 3, and adding 6 keeps it 3.
        guard word & high == zeros, (word &+ 0x0606_0606_0606_0606) & high == zeros else { return nil }
        var value = word &- zeros
        value = (value &* 10) &+ (value >> 8)
        let pairs: UInt64 = 0x0000_00FF_0000_00FF
        value = ((value & pairs) &* (100 &+ (1_000_000 << 32)) &+ ((value >> 16) & pairs) &* (1 &+ (10_000 << 32))) >> 32
        return value
    }

    /// How many of these eight bytes (in memory order, as loaded little-endian) are ASCII
    /// digits before the first that is not: 0 to 8.
    ///
    /// A byte is a digit when its high nibble is 3 and adding 6 keeps it 3. Adding 6 carries
    /// out of a byte only from 0xFA and up, which is not a digit, so the lowest flagged byte
    /// is exact even where the flags above it are not.
    @inline(__always)
    var leadingDigitCount: Int {
        let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
        let zeros: UInt64 = 0x3030_3030_3030_3030
        let flags = ((self & high) ^ zeros) | (((self &+ 0x0606_0606_0606_0606) & high) ^ zeros)
        return flags.trailingZeroBitCount &>> 3
    }

    /// The decimal value of eight bytes that each hold a digit value 0...9, the first byte in
    /// memory order the most significant: three multiplications, no checks.
    @inline(__always)
    var digitsValue: UInt64 {
        var value = (self &* 10) &+ (self >> 8)
        let pairs: UInt64 = 0x0000_00FF_0000_00FF
        value = ((value & pairs) &* (100 &+ (1_000_000 << 32)) &+ ((value >> 16) & pairs) &* (1 &+ (10_000 << 32))) >> 32
        return value
    }
}
