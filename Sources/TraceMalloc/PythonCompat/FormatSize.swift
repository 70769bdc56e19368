#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte count as Python's `tracemalloc._format_size` prints it: `512 B`, `10.0 KiB`, `1023 MiB`.
///
/// Python works on the int and divides by 1024 only past 10 KiB; `Double(size) / 1024` rounds
/// the same way, since scaling by a power of two commutes with rounding.
///
/// - Parameters:
///   - size: A size or size difference, in bytes.
///   - signed: Whether to print a sign even for zero and positive values (`+0 B`).
/// - Returns: The number and unit, separated by a space.
func formatSize(_ size: Int, signed: Bool) -> String {
    if size.magnitude < 10 * 1024 {
        return (signed && size >= 0 ? "+" : "") + "\(size) B"
    }
    return formatSize(Double(size) / 1024, signed: signed, units: sizeUnits.dropFirst())
}

/// A fractional byte count (an average) as Python's `_format_size` prints it.
func formatSize(_ size: Double, signed: Bool) -> String {
    formatSize(size, signed: signed, units: sizeUnits[...])
}

private let sizeUnits = ["B", "KiB", "MiB", "GiB", "TiB"]

private func formatSize(_ size: Double, signed: Bool, units: ArraySlice<String>) -> String {
    var size = size
    for unit in units {
        // The unit is chosen before rounding, as in Python: 102399 B is `100.0 KiB`.
        if abs(size) < 100 && unit != "B" {
            return printf(size, decimals: 1, signed: signed) + " " + unit
        }
        if abs(size) < 10 * 1024 || unit == units.last {
            return printf(size, decimals: 0, signed: signed) + " " + unit
        }
        size /= 1024
    }
    preconditionFailure("the last unit always prints")
}

/// C's `%.Nf` / `%+.Nf`: the exact binary value rounded half to even, like Python's `%`
/// formatting, and `-0` for small negative values. Swift has no such formatter of its own.
private func printf(_ value: Double, decimals: Int, signed: Bool) -> String {
    let format = (signed ? "%+." : "%.") + "\(decimals)f"
    // A finite double has at most 309 integer digits.
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 400) { buffer in
        _ = withVaList([value]) { vsnprintf(buffer.baseAddress!, buffer.count, format, $0) }
        return String(cString: buffer.baseAddress!)
    }
}

/// `numerator / denominator` rounded once to the nearest double, as Python's `int / int` is.
///
/// Converting an integer beyond 2^53 to `Double` first would round twice and could move an
/// average across a rounding boundary of `formatSize`.
func trueDivide(_ numerator: Int, _ denominator: Int) -> Double {
    precondition(denominator != 0, "division by zero")
    let exact = 1 << (Double.significandBitCount + 1)
    if numerator.magnitude <= exact && denominator.magnitude <= exact {
        return Double(numerator) / Double(denominator)
    }
    // Put the numerator's top bit at bit 127 so the quotient keeps at least 64 bits; a nonzero
    // remainder joins the lowest bit (a sticky bit) so the one rounding to 53 bits is exact.
    let shift = numerator.magnitude.leadingZeroBitCount + 64
    let scaled = UInt128(numerator.magnitude) << shift
    let (quotient, remainder) = scaled.quotientAndRemainder(dividingBy: UInt128(denominator.magnitude))
    let significand = Double(quotient | (remainder == 0 ? 0 : 1))
    let negative = (numerator < 0) != (denominator < 0)
    return Double(sign: negative ? .minus : .plus, exponent: -shift, significand: significand)
}
