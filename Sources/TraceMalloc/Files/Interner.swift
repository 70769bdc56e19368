/// Numbers distinct values from 0 in the order they first appear, so a file stores each once.
struct Interner<Value: Hashable> {
    /// The distinct values; a value's number is its index here.
    private(set) var values: [Value] = []
    private var numbers: [Value: Int] = [:]

    /// Returns the number of `value`, giving it the next one if it is new.
    mutating func number(of value: Value) -> Int {
        if let number = numbers[value] { return number }
        numbers[value] = values.count
        values.append(value)
        return values.count - 1
    }
}
