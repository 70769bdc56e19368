/// The text Python's `repr()` gives for a `str`, so that `debugDescription` matches Python's reprs.
///
/// Printability follows Swift's Unicode tables, which may be newer than the interpreter's: a code
/// point assigned after Python's Unicode version prints as itself here and escaped there.
func pythonRepr(_ string: String) -> String {
    let scalars = string.unicodeScalars
    let quote: Unicode.Scalar = scalars.contains("'") && !scalars.contains("\"") ? "\"" : "'"
    var text = String(quote)
    for scalar in scalars {
        switch scalar {
        case quote, "\\":
            text += "\\\(scalar)"
        case "\t":
            text += "\\t"
        case "\n":
            text += "\\n"
        case "\r":
            text += "\\r"
        default:
            if scalar.isPythonPrintable {
                text.unicodeScalars.append(scalar)
            } else {
                text += scalar.pythonEscape
            }
        }
    }
    text.unicodeScalars.append(quote)
    return text
}

extension Unicode.Scalar {
    /// Python's `str.isprintable()` for one code point: not in categories Cc, Cf, Cs, Co, Cn,
    /// Zl, Zp or Zs, except that the ASCII space is printable.
    fileprivate var isPythonPrintable: Bool {
        if value < 0x80 { return value >= 0x20 && value != 0x7F }
        switch properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned,
             .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }

    /// `\xhh`, `\uhhhh` or `\Uhhhhhhhh`, with lowercase digits as Python writes them.
    fileprivate var pythonEscape: String {
        let (prefix, width) = value <= 0xFF ? ("\\x", 2) : value <= 0xFFFF ? ("\\u", 4) : ("\\U", 8)
        let digits = String(value, radix: 16)
        return prefix + String(repeating: "0", count: width - digits.count) + digits
    }
}
