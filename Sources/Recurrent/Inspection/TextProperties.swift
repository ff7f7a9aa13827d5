/// Simple properties of a text, one number per token, that a unit of a
/// recurrent network might track (Karpathy, Johnson and Fei-Fei 2015 found
/// units for quotes, brackets and position in the line).
public enum TextProperties {
    /// Each property's name and value per token (`tokens.count` values; 1 or 0
    /// for yes/no properties). Newline tokens (`"\n"`, `<eos>`) end a line;
    /// the position in the line counts tokens since the last one (the newline itself is 0).
    public static func of(_ tokens: [String]) -> [(name: String, values: [Double])] {
        let n = tokens.count
        var insideQuotes = [Double](repeating: 0, count: n), insideBrackets = insideQuotes
        var column = insideQuotes, startOfWord = insideQuotes, whitespace = insideQuotes
        var punctuation = insideQuotes, uppercase = insideQuotes, vowel = insideQuotes
        var quoteOpen = false, depth = 0, col = 0, previousWasSpace = true
        for (t, token) in tokens.enumerated() {
            let newline = token == "\n" || token == Vocabulary.endOfSentence
            let isQuote = token == "\"" || token == "``" || token == "''"
            if isQuote { quoteOpen.toggle() }
            // The quote marks themselves count as inside, so a unit that switches on them scores.
            insideQuotes[t] = quoteOpen || isQuote ? 1 : 0
            if ["(", "[", "{"].contains(token) { depth += 1 }
            insideBrackets[t] = depth > 0 ? 1 : 0
            if [")", "]", "}"].contains(token) { depth = max(0, depth - 1) }
            col = newline ? 0 : col + 1
            column[t] = Double(col)
            let space = newline || token.allSatisfy { $0 == " " || $0 == "\t" }
            whitespace[t] = space ? 1 : 0
            startOfWord[t] = !space && previousWasSpace ? 1 : 0
            previousWasSpace = space
            punctuation[t] = !token.isEmpty && token.allSatisfy { $0.isPunctuation || $0.isSymbol } ? 1 : 0
            uppercase[t] = token.first?.isUppercase == true ? 1 : 0
            vowel[t] = token.count == 1 && "aeiouAEIOU".contains(token) ? 1 : 0
            if newline { quoteOpen = false }
        }
        return [("inside quotes", insideQuotes), ("inside brackets", insideBrackets), ("position in line", column),
                ("start of a word", startOfWord), ("whitespace or line end", whitespace), ("punctuation", punctuation),
                ("starts with a capital", uppercase), ("vowel", vowel)]
    }
}
