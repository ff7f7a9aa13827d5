/// An error the library throws for a user's input: a data file, a checkpoint,
/// a file a command would write, optimizer state, a training run that cannot go on.
///
/// Every public error type of the library conforms, so a program shows all of
/// them the same way, with one `catch`:
///
/// ```swift
/// do { try Trainer(task: task, options: options).run() }
/// catch let e as any RecurrentError { print("Error: \(e)") }   // names the file, the line, what was expected
/// ```
///
/// ``CustomStringConvertible/description`` is the whole message, ready for a
/// person: it names the file (and the line, or the tensor, where there is one),
/// what was expected and what was found. None of these errors is a usage
/// error: they come from what the data or the files hold (the `rnn` tool exits
/// with 1 for every one of them; usage errors, exit 64, are its own).
public protocol RecurrentError: Error, CustomStringConvertible {}
