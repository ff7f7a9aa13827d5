/// The library's version, as `rnn --version` and `rnn info` print it.
public let version = "0.1.0"
